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
  binary_sensor: new Set([
    ...COMMON,
    'device_class',
    'expire_after',
    'force_update',
    'off_delay',
    'payload_off',
    'payload_on',
    'state_topic',
    'value_template',
  ]),
  button: new Set([...COMMON, 'command_template', 'command_topic', 'device_class', 'payload_press', 'retain']),
  // integrations/event.mqtt (HA core mqtt/event.py: MQTT_RO_SCHEMA + device_class, name, event_types required).
  event: new Set([...COMMON, 'device_class', 'event_types', 'state_topic', 'value_template']),
};

/**
 * What HA's MQTT event platform requires (home-assistant.io/integrations/event.mqtt; core mqtt/event.py):
 * a state_topic and a non-empty list of string event_types in the config; device_class, if any, one of
 * doorbell/button/motion. A message is used only when it is not retained, is a JSON object with an
 * `event_type` that is one of event_types; its other keys become attributes, except the blocked
 * `event_type`/`event_types`. Returns what is wrong, [] when HA would accept it.
 */
export const HA_EVENT_DEVICE_CLASSES = new Set(['doorbell', 'button', 'motion']);
export function haEventConfigProblems(c: Record<string, unknown>): string[] {
  const bad: string[] = [];
  if (c.platform !== 'event') bad.push('platform must be event');
  if (typeof c.state_topic !== 'string' || !c.state_topic) bad.push('state_topic is required');
  if (!Array.isArray(c.event_types) || c.event_types.length === 0 || !c.event_types.every((t) => typeof t === 'string'))
    bad.push('event_types must be a list of strings');
  if (c.device_class !== undefined && !HA_EVENT_DEVICE_CLASSES.has(String(c.device_class)))
    bad.push(`device_class ${String(c.device_class)}`);
  if (typeof c.unique_id !== 'string') bad.push('unique_id is required in device discovery');
  return bad;
}
export function haEventMessageProblems(c: { event_types: string[] }, payload: string, retained: boolean): string[] {
  if (retained) return ['retained: HA ignores a replayed retained event'];
  let body: unknown;
  try {
    body = JSON.parse(payload);
  } catch {
    return ['not JSON'];
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return ['not a JSON object'];
  const o = body as Record<string, unknown>;
  if (!('event_type' in o)) return ['event_type missing'];
  const bad: string[] = [];
  if (!c.event_types.includes(String(o.event_type))) bad.push(`event_type ${String(o.event_type)} not in event_types`);
  if ('event_types' in o) bad.push('event_types is a blocked attribute');
  return bad;
}

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
export const HA_DEVICE_PAYLOAD_KEYS = new Set([
  'device',
  'origin',
  'components',
  'qos',
  'state_topic',
  'command_topic',
  'encoding',
  'availability',
  'availability_topic',
  'availability_mode',
]);

/**
 * Which state classes HA allows for a device class we use (HA core `sensor/const.py` DEVICE_CLASS_STATE_CLASSES:
 * MONETARY {TOTAL}, DURATION all).
 */
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
