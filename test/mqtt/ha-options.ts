/**
 * The options Home Assistant documents for each MQTT platform we announce, copied by hand from the
 * configuration-variable lists of home-assistant.io/integrations/sensor.mqtt, binary_sensor.mqtt and
 * button.mqtt (current pages: `default_entity_id` replaced `object_id`, HA 2025.10; `platform` is
 * required in device discovery), and the device-discovery payload keys of integrations/mqtt
 * ("Device discovery payload": `device`, `origin`, `components`, plus shared options such as `qos`).
 * A key not listed here is a key HA would reject or ignore: the tests fail on it.
 */
const COMMON = [
  'availability',
  'availability_mode',
  'availability_template',
  'availability_topic',
  'default_entity_id',
  'device',
  'enabled_by_default',
  'encoding',
  'entity_category',
  'entity_picture',
  'icon',
  'json_attributes_template',
  'json_attributes_topic',
  'name',
  'payload_available',
  'payload_not_available',
  'platform',
  'qos',
  'unique_id',
];

export const HA_OPTIONS: Record<string, ReadonlySet<string>> = {
  sensor: new Set([
    ...COMMON,
    'device_class',
    'expire_after',
    'force_update',
    'last_reset_value_template',
    'options',
    'suggested_display_precision',
    'state_class',
    'state_topic',
    'unit_of_measurement',
    'value_template',
  ]),
  binary_sensor: new Set([...COMMON, 'device_class', 'expire_after', 'force_update', 'off_delay', 'payload_off', 'payload_on', 'state_topic', 'value_template']),
  button: new Set([...COMMON, 'command_template', 'command_topic', 'device_class', 'payload_press', 'retain']),
};

/** Device keys (the `device` map) and origin keys HA documents. */
export const HA_DEVICE_KEYS = new Set([
  'configuration_url',
  'connections',
  'hw_version',
  'identifiers',
  'manufacturer',
  'model',
  'model_id',
  'name',
  'serial_number',
  'suggested_area',
  'sw_version',
  'via_device',
]);
export const HA_ORIGIN_KEYS = new Set(['name', 'sw_version', 'support_url']);
export const HA_DEVICE_PAYLOAD_KEYS = new Set(['device', 'origin', 'components', 'qos', 'state_topic', 'command_topic', 'encoding', 'availability', 'availability_topic', 'availability_mode']);

/** Which state classes HA allows for a device class we use (HA core `sensor/const.py` DEVICE_CLASS_STATE_CLASSES: MONETARY {TOTAL}, DURATION all). */
export const HA_STATE_CLASSES_BY_DEVICE_CLASS: Record<string, ReadonlySet<string | undefined>> = {
  monetary: new Set(['total', undefined]),
  duration: new Set(['measurement', 'total', 'total_increasing', undefined]),
};

/** Units HA accepts for a device class we use (monetary: an ISO 4217 code; duration: UnitOfTime). */
export const HA_UNITS_BY_DEVICE_CLASS: Record<string, ReadonlySet<string>> = {
  monetary: new Set(['INR']), // any ISO 4217 code; ours is INR
  duration: new Set(['d', 'h', 'min', 's', 'ms', 'µs']),
};

/** Every key of the discovery payload that HA would not recognise; [] when all are documented. */
export function undocumentedKeys(cfg: Record<string, unknown>): string[] {
  const bad: string[] = [];
  for (const k of Object.keys(cfg)) if (!HA_DEVICE_PAYLOAD_KEYS.has(k)) bad.push(k);
  for (const k of Object.keys((cfg.device ?? {}) as object)) if (!HA_DEVICE_KEYS.has(k)) bad.push(`device.${k}`);
  for (const k of Object.keys((cfg.origin ?? {}) as object)) if (!HA_ORIGIN_KEYS.has(k)) bad.push(`origin.${k}`);
  for (const [id, c] of Object.entries((cfg.components ?? {}) as Record<string, Record<string, unknown>>)) {
    const allowed = HA_OPTIONS[String(c.platform)];
    if (!allowed) {
      bad.push(`${id}.platform=${String(c.platform)}`);
      continue;
    }
    for (const k of Object.keys(c)) if (!allowed.has(k)) bad.push(`${id}.${k}`);
  }
  return bad;
}
