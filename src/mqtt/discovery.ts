/**
 * Home Assistant device-based MQTT discovery (HA 2024.11+): one retained message on
 * `homeassistant/device/<id>/config` describing the box and all its entities. Every entity reads
 * the retained `…/state` JSON through a value template and shares the availability topic.
 * Nothing here can re-arm trading: the only command entity is the halt button. The binary sensors
 * are the ones core/alerts.ts names as `haBinarySensor` (test/core/alerts.test.ts keeps the two in step).
 */
import { readFileSync } from 'node:fs';
import { HA_EVENT_TYPES } from './payloads.js';
import type { Topics } from './topics.js';

export interface DeviceInfo {
  deviceId: string;
  /** Raspberry Pi serial when known (readDeviceSerial); identifies the device across renames. */
  serial: string | null;
  swVersion: string;
  /** Where to log in / look at the box (shown as "Visit" in HA). */
  configurationUrl?: string;
}

export interface SerialSources {
  cpuinfo: string;
  devicetree: string;
}

const DEFAULT_SERIAL_SOURCES: SerialSources = {
  cpuinfo: '/proc/cpuinfo',
  devicetree: '/sys/firmware/devicetree/base/serial-number',
};

/** The Pi's serial from /proc/cpuinfo `Serial` or the device tree; null when neither has one. */
export function readDeviceSerial(sources: SerialSources = DEFAULT_SERIAL_SOURCES): string | null {
  const usable = (s: string | undefined) => {
    const v = (s ?? '').replace(/\0/g, '').trim().toLowerCase();
    return /^[0-9a-z]+$/.test(v) && !/^0+$/.test(v) ? v : null;
  };
  try {
    const m = /^Serial\s*:\s*(\S+)/m.exec(readFileSync(sources.cpuinfo, 'utf8'));
    const s = usable(m?.[1]);
    if (s) return s;
  } catch {
    /* not a Linux box, or no permission: try the next source */
  }
  try {
    return usable(readFileSync(sources.devicetree, 'latin1'));
  } catch {
    return null;
  }
}

/** Lower-case slug for entity ids: `Pi-4` → `pi_4`. */
export function slug(s: string): string {
  return (
    s
      .toLowerCase()
      .replace(/[^a-z0-9_]+/g, '_')
      .replace(/^_+|_+$/g, '') || 'box'
  );
}

type Platform = 'sensor' | 'binary_sensor' | 'button' | 'event';
type Component = Record<string, unknown> & { platform: Platform; name: string };

/**
 * The start of the state's trading day in IST, ISO-8601 (`2025-06-02T00:00:00+05:30`): the
 * `last_reset` of the daily money sensors. Empty before the box knows its day — HA ignores an empty
 * last_reset rather than storing a bad one.
 */
export const DAY_START_TEMPLATE = "{{ (value_json.day ~ 'T00:00:00+05:30') if value_json.day else '' }}";

/**
 * The entities, keyed by component id; state-reading ones get state/availability topics added below.
 *
 * Followed (Home Assistant docs): MQTT Sensor, MQTT Binary sensor and MQTT Button configuration
 * variables (home-assistant.io/integrations/sensor.mqtt, binary_sensor.mqtt, button.mqtt) — only
 * options listed there are used (`suggested_unit_of_measurement` is not an MQTT sensor option, so
 * it is gone); the sensor state classes (developers.home-assistant.io/docs/core/entity/sensor,
 * "Available state classes" and "Long-term statistics"): `total` for an amount that goes up and
 * down, with `last_reset` for a daily meter (MQTT: `last_reset_value_template`, which requires
 * `state_class: total`), `total_increasing` for a count that only grows within its cycle,
 * `measurement` for a value now; device class `monetary` allows only `total` (so a point-in-time
 * amount such as unrealized P&L carries no state class) and takes an ISO 4217 currency (INR);
 * `duration` takes ms; `entity_category` must be `diagnostic` for sensors.
 */
function components(topics: Topics): Record<string, Component> {
  const inr = { device_class: 'monetary', unit_of_measurement: 'INR', suggested_display_precision: 2 };
  const daily = { ...inr, state_class: 'total', last_reset_value_template: DAY_START_TEMPLATE };
  return {
    net_pnl: {
      platform: 'sensor',
      name: 'Net P&L today',
      ...daily,
      value_template: '{{ value_json.pnl.net }}',
      icon: 'mdi:cash',
    },
    realized_pnl: {
      platform: 'sensor',
      name: 'Realized P&L today',
      ...daily,
      value_template: '{{ value_json.pnl.realized }}',
    },
    // A value now (the open position marked to market), not a meter: no state class, no statistics.
    unrealized_pnl: {
      platform: 'sensor',
      name: 'Unrealized P&L',
      ...inr,
      value_template: '{{ value_json.pnl.unrealized }}',
    },
    // Every closed trade's net P&L since the ledger began, plus the open position: never resets.
    all_time_net_pnl: {
      platform: 'sensor',
      name: 'Net P&L all time',
      ...inr,
      state_class: 'total',
      value_template: '{{ value_json.pnl.allTimeNet }}',
      icon: 'mdi:finance',
    },
    trades_today: {
      platform: 'sensor',
      name: 'Trades today',
      // Counts up during the day and drops to 0 on the next: HA reads the drop as a new cycle.
      state_class: 'total_increasing',
      value_template: '{{ value_json.pnl.trades }}',
      icon: 'mdi:swap-horizontal',
    },
    win_rate: {
      platform: 'sensor',
      name: 'Win rate today',
      unit_of_measurement: '%',
      state_class: 'measurement',
      suggested_display_precision: 0,
      // None (→ unknown in HA) before the first trade rather than a misleading 0 %.
      value_template:
        '{{ (100 * value_json.pnl.wins / value_json.pnl.trades) if value_json.pnl.trades > 0 else none }}',
      icon: 'mdi:percent',
    },
    nifty_spot: {
      platform: 'sensor',
      name: 'NIFTY spot',
      state_class: 'measurement',
      suggested_display_precision: 2,
      value_template: '{{ value_json.spot }}',
      icon: 'mdi:chart-line',
    },
    position: {
      platform: 'sensor',
      name: 'Position',
      value_template: "{{ value_json.position.symbol if value_json.position else 'flat' }}",
      json_attributes_topic: topics.state,
      json_attributes_template: '{{ (value_json.position or {}) | tojson }}',
      icon: 'mdi:briefcase-outline',
    },
    // The strategy new entries are decided by; its name and parameters as attributes.
    strategy: {
      platform: 'sensor',
      name: 'Strategy',
      value_template: "{{ value_json.strategy.name if value_json.strategy else 'v25' }}",
      json_attributes_topic: topics.state,
      json_attributes_template: '{{ (value_json.strategy or {}) | tojson }}',
      icon: 'mdi:strategy',
    },
    last_tick_age: {
      platform: 'sensor',
      name: 'Last tick age',
      device_class: 'duration',
      unit_of_measurement: 'ms',
      state_class: 'measurement',
      entity_category: 'diagnostic',
      // The state is re-published at least every 30 s; silence for 90 s means the box is gone.
      expire_after: 90,
      value_template: '{{ value_json.feed.lastTickAgeMs }}',
    },
    feed_connected: {
      platform: 'binary_sensor',
      name: 'Feed connected',
      device_class: 'connectivity',
      entity_category: 'diagnostic',
      value_template: '{{ value_json.feed.connected }}',
      payload_on: 'True',
      payload_off: 'False',
    },
    trading_halted: {
      platform: 'binary_sensor',
      name: 'Trading halted',
      device_class: 'problem',
      value_template: '{{ value_json.trading }}',
      payload_on: 'halted',
      payload_off: 'active',
    },
    clock_synced: {
      platform: 'binary_sensor',
      name: 'Clock synced',
      entity_category: 'diagnostic',
      value_template: '{{ value_json.clock.synced }}',
      payload_on: 'True',
      payload_off: 'False',
      icon: 'mdi:clock-check-outline',
    },
    // One event a trade, halt, resume or alarm on its own non-retained topic
    // (home-assistant.io/integrations/event.mqtt:
    // state_topic and event_types required; the JSON's event_type picks the type, its other keys become attributes).
    trade_event: {
      platform: 'event',
      name: 'Trade events',
      state_topic: topics.event,
      event_types: [...HA_EVENT_TYPES],
      icon: 'mdi:bell-ring-outline',
    },
    halt: {
      platform: 'button',
      name: 'Halt trading',
      command_topic: topics.command('halt'),
      payload_press: '{"reason":"Home Assistant button"}',
      retain: false,
      icon: 'mdi:hand-back-left',
    },
  };
}

/** The retained discovery payload for the device. */
export function discoveryConfig(topics: Topics, info: DeviceInfo): Record<string, unknown> {
  const idSlug = slug(info.deviceId);
  const cmps: Record<string, Record<string, unknown>> = {};
  for (const [key, c] of Object.entries(components(topics))) {
    cmps[key] = {
      ...c,
      unique_id: `niftybox_${idSlug}_${key}`,
      default_entity_id: `${c.platform}.niftybox_${idSlug}_${key}`,
      ...(c.platform === 'button' ? {} : { state_topic: (c.state_topic as string | undefined) ?? topics.state }),
      availability_topic: topics.availability,
      payload_available: 'online',
      payload_not_available: 'offline',
    };
  }
  const device: Record<string, unknown> = {
    identifiers: [info.serial ? `niftybox_${info.serial}` : `niftybox_${idSlug}`],
    name: `niftybox ${info.deviceId}`,
    manufacturer: 'niftybox',
    model: 'NIFTY V25 paper-trading appliance',
    sw_version: info.swVersion,
  };
  if (info.serial) device.serial_number = info.serial;
  if (info.configurationUrl) device.configuration_url = info.configurationUrl;
  return {
    device,
    origin: { name: 'niftybox', sw_version: info.swVersion },
    components: cmps,
    qos: 1,
  };
}
