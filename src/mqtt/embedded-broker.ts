/**
 * A small MQTT broker inside the appliance (aedes, MQTT 3.1.1) for when no broker is configured,
 * so `mosquitto_sub -h <box> -t 'niftybox/#' -v` works out of the box and Home Assistant can use
 * it as its broker. It listens on all interfaces by default and enforces broker-acl.ts: anonymous
 * clients read, and publish only the halt command and `homeassistant/status`; named users with
 * scrypt-hashed passwords may get more; the box's own client logs in with a secret made per start.
 * Against a hostile LAN it also limits what a client can cost: a packet over maxPacketBytes is cut
 * off as its header arrives (frame-guard.ts), connections beyond maxConnections are closed at once,
 * a client publishing faster than maxPublishPerSecond is disconnected; each is counted in stats().
 */
import './packet-length-cache.js'; // first: before mqtt-packet's writer loads (mqttjs/mqtt-packet#163)
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import { realClock, type Clock } from '../lib/clock.js';
import type { Logger } from '../log.js';
import { anonymousRights, INTERNAL_RIGHTS, mayPublish, maySubscribe, userRights, type Rights } from './broker-acl.js';
import { EMBEDDED_LIMITS, type EmbeddedUser } from './config.js';
import { guardSocket } from './frame-guard.js';
import { verifyPassword } from './password.js';

export interface EmbeddedBrokerOptions {
  host?: string;
  /** 0 picks a free port (tests). */
  port?: number;
  log?: Logger;
  /** Whose topics anonymous clients may read and halt; default `niftybox`, device `box`, `homeassistant`. */
  baseTopic?: string;
  deviceId?: string;
  discoveryPrefix?: string;
  allowAnonymous?: boolean;
  users?: readonly EmbeddedUser[];
  /** Defaults: EMBEDDED_LIMITS. */
  maxPacketBytes?: number;
  maxConnections?: number;
  /** Publishes per second a client may keep up (bursts of twice that); the box's own client is not limited. */
  maxPublishPerSecond?: number;
  /** The publish rate is measured on it. Default the system clock. */
  clock?: Clock;
}

/** What the broker refused since it started (the state payload's `embeddedBroker`). */
export interface EmbeddedBrokerStats {
  connections: number;
  /** Connections closed at once because maxConnections were open. */
  refusedConnections: number;
  /** Clients cut off for a packet over maxPacketBytes (or a malformed length). */
  oversized: number;
  /** Clients disconnected for publishing faster than maxPublishPerSecond. */
  overRate: number;
}

export interface EmbeddedBroker {
  /** `mqtt://host:port` to hand to MqttOutput. */
  url: string;
  host: string;
  port: number;
  /** The box's own login (full rights); valid until close. */
  internal: { username: string; password: string; clientId: string };
  stats(): EmbeddedBrokerStats;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
const INTERNAL_USER = 'niftybox-internal';
/**
 * Where a refused publish goes: nowhere. Like Mosquitto, the broker acknowledges it and drops it
 * rather than disconnecting the client (MQTT 3.1.1 has no way to say "denied"), so Home Assistant
 * using this broker is not thrown off by one publish outside its rights. aedes can only allow or
 * disconnect, so a refused packet is re-addressed to this topic (not retained) and never forwarded.
 */
const REFUSED_SINK = '$SYS/niftybox/refused';
/** MQTT 3.1.1 CONNACK codes. */
const IDENTIFIER_REJECTED = 2;
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;

function refusal(message: string, returnCode: number): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}

/** Starts the broker; rejects with a clear Error when the port is taken or the host is wrong. */
export async function startEmbeddedBroker(opts: EmbeddedBrokerOptions = {}): Promise<EmbeddedBroker> {
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? 1883;
  const deviceId = opts.deviceId ?? 'box';
  const anonymous = anonymousRights(opts.baseTopic ?? 'niftybox', deviceId, opts.discoveryPrefix ?? 'homeassistant');
  const allowAnonymous = opts.allowAnonymous ?? true;
  const users = new Map((opts.users ?? []).map((u) => [u.name, u]));
  const secret = randomBytes(24).toString('base64url');
  const internal = { username: INTERNAL_USER, password: secret, clientId: `niftybox-${deviceId}` };
  const rights = new WeakMap<Client, Rights>();
  /** Topics already reported as refused per client: a client repeating itself is logged once per topic. */
  const reported = new WeakMap<Client, Set<string>>();
  const firstRefusal = (client: Client | null, topic: string): boolean => {
    if (!client) return true;
    const seen = reported.get(client) ?? new Set<string>();
    reported.set(client, seen);
    if (seen.has(topic) || seen.size > 100) return false;
    seen.add(topic);
    return true;
  };
  const log = opts.log;
  const clock = opts.clock ?? realClock;
  const maxPacketBytes = opts.maxPacketBytes ?? EMBEDDED_LIMITS.maxPacketBytes;
  const maxConnections = opts.maxConnections ?? EMBEDDED_LIMITS.maxConnections;
  const ratePerMs = (opts.maxPublishPerSecond ?? EMBEDDED_LIMITS.maxPublishPerSecond) / 1000;
  const burst = 2 * (opts.maxPublishPerSecond ?? EMBEDDED_LIMITS.maxPublishPerSecond);
  const counts = { refusedConnections: 0, oversized: 0, overRate: 0 };
  /** A token bucket per client: `burst` publishes at once, refilled at maxPublishPerSecond. */
  const buckets = new WeakMap<Client, { tokens: number; at: number }>();
  const withinRate = (client: Client): boolean => {
    const now = clock.now();
    const b = buckets.get(client) ?? { tokens: burst, at: now };
    b.tokens = Math.min(burst, b.tokens + Math.max(0, now - b.at) * ratePerMs);
    b.at = now;
    buckets.set(client, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  };
  /** Each kind of refusal is logged on its first time and then every 100th: a flood costs a few log lines. */
  const count = (kind: keyof typeof counts, message: string, fields: Record<string, unknown>) => {
    if (counts[kind]++ % 100 === 0) log?.warn(message, { ...fields, [kind]: counts[kind] });
  };

  const aedes = await Aedes.createBroker({
    authenticate: (client, username, password, done) => {
      void (async () => {
        const pw = password ? Buffer.from(password).toString('utf8') : '';
        if (username === INTERNAL_USER) {
          const ok = pw.length === secret.length && timingSafeEqual(Buffer.from(pw), Buffer.from(secret));
          if (!ok) return done(refusal('bad internal credentials', BAD_USERNAME_OR_PASSWORD), false);
          rights.set(client, INTERNAL_RIGHTS);
          return done(null, true);
        }
        // Nobody else may take the box's client id: MQTT would disconnect the box's own session.
        if (client.id === internal.clientId)
          return done(refusal(`client id ${client.id} is the box's own`, IDENTIFIER_REJECTED), false);
        if (username === undefined || username === '') {
          if (!allowAnonymous) return done(refusal('anonymous access is off', NOT_AUTHORIZED), false);
          rights.set(client, anonymous);
          return done(null, true);
        }
        const user = users.get(username);
        if (!user || !(await verifyPassword(pw, user.passwordHash))) {
          log?.warn('embedded MQTT broker refused a login', { username, client: client.id });
          return done(refusal('bad username or password', BAD_USERNAME_OR_PASSWORD), false);
        }
        rights.set(client, userRights(user, anonymous));
        done(null, true);
      })();
    },
    authorizePublish: (client, packet, done) => {
      const r = client ? rights.get(client) : INTERNAL_RIGHTS;
      if (client && r !== INTERNAL_RIGHTS && !withinRate(client)) {
        count('overRate', 'embedded MQTT broker disconnected a client publishing too fast', {
          client: client.id,
          who: r?.who ?? 'unknown',
          limitPerSecond: ratePerMs * 1000,
        });
        return done(new Error(`publishing faster than ${ratePerMs * 1000} per second`));
      }
      if (r && mayPublish(r, packet.topic, Boolean(packet.retain))) return done(null);
      if (firstRefusal(client, packet.topic))
        log?.warn('embedded MQTT broker refused a publish (dropped)', {
          topic: packet.topic,
          retain: Boolean(packet.retain),
          client: client?.id,
          who: r?.who ?? 'unknown',
        });
      packet.topic = REFUSED_SINK;
      packet.retain = false;
      done(null);
    },
    authorizeForward: (_client, packet) => (packet.topic === REFUSED_SINK ? null : packet),
    authorizeSubscribe: (client, sub, done) => {
      const r = rights.get(client);
      if (r && maySubscribe(r, sub.topic)) return done(null, sub);
      if (firstRefusal(client, sub.topic))
        log?.warn('embedded MQTT broker refused a subscription', {
          filter: sub.topic,
          client: client.id,
          who: r?.who ?? 'unknown',
        });
      done(null, null);
    },
  });
  const sockets = new Set<Socket>();
  /** The loopback connection holding the place kept beyond maxConnections, if any. */
  let localSpare: Socket | null = null;
  const server: Server = createServer((socket) => {
    // One place beyond the limit is kept for this machine, so the box's own client can reconnect while the LAN holds
    // every other.
    const local =
      socket.remoteAddress === '127.0.0.1' ||
      socket.remoteAddress === '::1' ||
      socket.remoteAddress === '::ffff:127.0.0.1';
    if (sockets.size >= maxConnections + (local && !localSpare ? 1 : 0)) {
      count('refusedConnections', 'embedded MQTT broker refused a connection: too many open', {
        from: socket.remoteAddress,
        maxConnections,
      });
      socket.destroy();
      return;
    }
    const spare = sockets.size >= maxConnections;
    if (spare) localSpare = socket;
    sockets.add(socket);
    socket.on('close', () => {
      sockets.delete(socket);
      if (localSpare === socket) localSpare = null;
    });
    const guarded = guardSocket(socket, {
      maxPacketBytes,
      onOversized: (bytes) =>
        count('oversized', 'embedded MQTT broker cut off a client sending a packet over the limit', {
          from: socket.remoteAddress,
          bytes,
          maxPacketBytes,
        }),
    });
    aedes.handle(guarded as unknown as Socket);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await new Promise<void>((r) => aedes.close(() => r()));
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(
      code === 'EADDRINUSE'
        ? `embedded MQTT broker: port ${port} on ${host} is already in use (another ` +
            `broker?) — set mqtt.url to that broker, or mqtt.embeddedBroker.port to a ` +
            `free port`
        : `embedded MQTT broker could not listen on ${host}:${port}: ${(err as Error).message}`,
    );
  }
  server.on('error', (err) => log?.error('embedded MQTT broker error', { err }));
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  if (!LOOPBACK.has(host)) {
    log?.info('embedded MQTT broker reachable from the network', {
      host,
      port: actualPort,
      anonymous: allowAnonymous ? 'read, and publish only cmd/halt and homeassistant/status' : 'off',
      users: [...users.keys()],
    });
  }
  let closed = false;
  return {
    url: `mqtt://${urlHost}:${actualPort}`,
    host,
    port: actualPort,
    internal,
    stats: () => ({ connections: sockets.size, ...counts }),
    close: async () => {
      if (closed) return;
      closed = true;
      await new Promise<void>((r) => aedes.close(() => r()));
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
