/**
 * Who may do what on the embedded broker. Anonymous clients may read the box (`<baseTopic>/#`,
 * `<discoveryPrefix>/#`) and publish only the halt command and Home Assistant's birth/will topic,
 * so HA itself can use the embedded broker and anyone on the LAN can stop trading but not start
 * it, never retained. Named users (`mqtt.embeddedBroker.users`, scrypt-hashed passwords) get those rights plus
 * their own publish/subscribe patterns. The box's own client gets everything (a random secret per
 * start), and no one else may take its client id.
 */
import type { EmbeddedUser } from './config.js';

export interface Rights {
  who: string;
  publish: readonly string[];
  subscribe: readonly string[];
  /** Topics an anonymous client may retain on (others: publish without retain only). */
  retain: 'any' | readonly string[];
}

/** MQTT topic filter matching (`+` one level, `#` the rest, including the parent; `$…` topics only by name). */
export function topicMatches(filter: string, topic: string): boolean {
  if (topic.startsWith('$') && !filter.startsWith('$')) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

/** True when every topic the subscription filter can match is also matched by the pattern. */
export function filterWithin(filter: string, pattern: string): boolean {
  if (filter.startsWith('$') !== pattern.startsWith('$')) return false;
  const f = filter.split('/');
  const p = pattern.split('/');
  for (let i = 0; i < f.length; i++) {
    const pl = p[i];
    if (pl === undefined) return false;
    if (pl === '#') return true;
    if (f[i] === '#') return false;
    if (pl === '+') continue;
    if (f[i] === '+' || f[i] !== pl) return false;
  }
  // The filter ended: it matches only topics of its own length — unless the pattern's next level is `#`.
  return f.length === p.length || (p.length === f.length + 1 && p[f.length] === '#');
}

export function anonymousRights(baseTopic: string, deviceId: string, discoveryPrefix: string): Rights {
  const status = `${discoveryPrefix}/status`;
  return {
    who: 'anonymous',
    subscribe: [`${baseTopic}/#`, `${discoveryPrefix}/#`],
    publish: [`${baseTopic}/${deviceId}/cmd/halt`, status],
    // Nothing retained: a retained message stays in the broker's memory after its sender has gone.
    retain: [],
  };
}

export function userRights(user: EmbeddedUser, anonymous: Rights): Rights {
  return {
    who: `user ${user.name}`,
    subscribe: [...anonymous.subscribe, ...user.subscribe],
    publish: [...anonymous.publish, ...user.publish],
    retain: 'any',
  };
}

export const INTERNAL_RIGHTS: Rights = { who: 'the box', publish: ['#'], subscribe: ['#'], retain: 'any' };

export function mayPublish(r: Rights, topic: string, retain: boolean): boolean {
  if (!r.publish.some((p) => topicMatches(p, topic))) return false;
  return !retain || r.retain === 'any' || r.retain.includes(topic);
}

export function maySubscribe(r: Rights, filter: string): boolean {
  return r.subscribe.some((p) => filterWithin(filter, p));
}
