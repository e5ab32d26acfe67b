/**
 * What the box announced and must take back. Every retained topic the box publishes (the Home
 * Assistant device config, its state and availability) is remembered in the ledger; on each
 * connection the ones that no longer apply — discovery turned off, a new device id — are cleared
 * with an empty retained message (for the device config that is also how Home Assistant is told to
 * remove the device: HA's MQTT docs, "Removing a device": an empty payload on the config topic).
 */
import type { MqttAnnouncement } from '../store/ledger.js';
import type { Topics } from './topics.js';

export type { MqttAnnouncement };

/** The part of the ledger MQTT uses: the remembered announcements and the all-time net P&L. */
export interface MqttLedger {
  allTimeNetPnl(): number;
  mqttAnnounced(): MqttAnnouncement[];
  /** In one transaction. */
  rememberMqttAnnounced(list: readonly MqttAnnouncement[]): void;
  forgetMqttAnnounced(topic: string): void;
}

/** The retained topics this box announces now, with their kind. */
export function currentAnnouncements(
  topics: Topics,
  deviceId: string,
  discovery: boolean,
  now: number,
): MqttAnnouncement[] {
  const list: MqttAnnouncement[] = [
    { topic: topics.availability, deviceId, kind: 'retained', announcedAt: now },
    { topic: topics.state, deviceId, kind: 'retained', announcedAt: now },
  ];
  if (discovery) list.push({ topic: topics.discovery, deviceId, kind: 'discovery', announcedAt: now });
  return list;
}

/** Current announcements the ledger does not remember as they are (topic, device id and kind): to be written. */
export function newAnnouncements(
  remembered: readonly MqttAnnouncement[],
  current: readonly MqttAnnouncement[],
): MqttAnnouncement[] {
  const known = new Set(remembered.map((a) => `${a.topic}\n${a.deviceId}\n${a.kind}`));
  return current.filter((a) => !known.has(`${a.topic}\n${a.deviceId}\n${a.kind}`));
}

/** Remembered announcements that the current set no longer contains: to be cleared. */
export function staleAnnouncements(
  remembered: readonly MqttAnnouncement[],
  current: readonly MqttAnnouncement[],
): MqttAnnouncement[] {
  const keep = new Set(current.map((a) => a.topic));
  // Device configs first: Home Assistant removes the device before its state topics go quiet.
  return remembered
    .filter((a) => !keep.has(a.topic))
    .sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'discovery' ? -1 : 1));
}

/** The retained topics of a device id (for `niftybox mqtt forget`, which has no ledger rows to go by). */
export function deviceTopics(topics: Topics): string[] {
  return [topics.discovery, topics.state, topics.availability];
}
