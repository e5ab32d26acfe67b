/** The MQTT area: what the app wires in. */
export {
  MqttOutput,
  DEFAULT_MQTT_TUNING,
  type MqttOutputOptions,
  type MqttTuning,
  type MqttStats,
  type MqttAlert,
} from './mqtt-output.js';
export { startEmbeddedBroker, type EmbeddedBroker, type EmbeddedBrokerOptions } from './embedded-broker.js';
export { discoveryConfig, readDeviceSerial } from './discovery.js';
export { topicsFor, type Topics } from './topics.js';
export { mqttConfigSchema, type MqttConfig } from './config.js';
export { type MqttLedger } from './announcements.js';
