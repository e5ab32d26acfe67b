/** The box's public surface for the app and the CLI. */
export {
  createDevice,
  type CreateDeviceOptions,
  type Device,
  type DeviceAlert,
  type DeviceHardware,
  type DeviceStatus,
  type KillSwitchStatus,
} from './device.js';
export { doctorDeviceChecks, type DoctorCheck } from './doctor.js';
export { SimulatedButton } from './kill-switch.js';
export { deviceConfigSchema, type DeviceConfig } from './config.js';
