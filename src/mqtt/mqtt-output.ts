/**
 * The MQTT announcer: availability (with a last will), retained state, trade/signal/alert events,
 * command topics and Home Assistant discovery — see interfaces.md "MQTT".
 *
 * The engine never waits on it: onEvents/onState only put messages in a bounded PublishQueue and
 * return; the queue drains while the broker is connected. Connection trouble (broker down, bad
 * credentials, TLS) is logged once per distinct problem, raised as an alert, and retried forever
 * with backoff. Nothing here throws into the caller.
 */
import './packet-length-cache.js'; // first: before mqtt-packet's writer loads (mqttjs/mqtt-packet#163)
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import type { EngineEvent } from '../core/events.js';
import type { ApplianceState } from '../core/state.js';
import type { Logger } from '../log.js';
import { registerSecret } from '../log.js';
import type { ControlPort, Output } from '../output.js';
import { CommandHandler, MAX_COMMAND_BYTES } from './commands.js';
import type { MqttConfig } from './config.js';
import { Backoff } from '../lib/backoff.js';
import { realClock, type Clock, type Timer } from '../lib/clock.js';
import { clientOptions, describeConnectionError, displayUrl, readCa, type ConnectionProblem } from './connection.js';
import { discoveryConfig, readDeviceSerial } from './discovery.js';
import type { EmbeddedBroker, EmbeddedBrokerStats } from './embedded-broker.js';
import { alertPayload, eventMessage, haEventPayload, statePayload, type AlertPayload } from './payloads.js';
import { currentAnnouncements, newAnnouncements, staleAnnouncements, type MqttLedger } from './announcements.js';
import { PublishQueue, type OutgoingMessage } from './publish-queue.js';
import { topicsFor, type Topics } from './topics.js';

export type MqttAlert = { level: AlertPayload['level']; code: AlertPayload['code']; message: string };

/** Timings and bounds; the defaults suit the appliance, tests shorten them. */
export interface MqttTuning {
  /** Events (trades, signals, alerts) kept while the broker is away; older ones are dropped. */
  eventQueueLimit: number;
  /** Publishes handed to the client and not yet acknowledged. */
  maxInflight: number;
  /** State is published at most once per this interval (2 per second). */
  stateMinIntervalMs: number;
  /** State is re-published this often even when unchanged. */
  heartbeatMs: number;
  reconnectMinMs: number;
  /** Cap of the reconnect backoff after a lost connection: the broker's return is noticed this fast. */
  reconnectMaxMs: number;
  /** Cap after the broker refused us (credentials) or TLS failed: retrying fast cannot help. */
  refusedRetryMaxMs: number;
  /** close() waits at most this long for the broker. */
  closeTimeoutMs: number;
  /** Home Assistant births (`online` on its status topic) re-announce at most once per this interval. */
  birthMinIntervalMs: number;
}

export const DEFAULT_MQTT_TUNING: MqttTuning = {
  eventQueueLimit: 1000,
  maxInflight: 64,
  stateMinIntervalMs: 500,
  heartbeatMs: 30_000,
  reconnectMinMs: 500,
  reconnectMaxMs: 3_000,
  refusedRetryMaxMs: 30_000,
  closeTimeoutMs: 2_000,
  birthMinIntervalMs: 30_000,
};

export interface MqttOutputOptions {
  config: MqttConfig;
  deviceId: string;
  control: ControlPort;
  log: Logger;
  swVersion: string;
  /** The box's login/status page, shown as the device's "Visit" link in Home Assistant. */
  configurationUrl?: string;
  /** Alerts raised by the MQTT layer itself (refused resume, broker refused us …), for OLED/log. */
  onAlert?: (a: MqttAlert) => void;
  tuning?: Partial<MqttTuning>;
  /** Device serial for discovery; default read from the Pi (readDeviceSerial). */
  serial?: string | null;
  /**
   * The ledger: remembers which retained topics the box announced (so a device-id change or
   * `discovery: false` clears them) and gives the all-time net P&L. Without it neither happens.
   */
  ledger?: MqttLedger;
  /** Reconnect backoff, state throttle and heartbeat run on it (tests: a virtual clock). Default the system clock. */
  clock?: Clock;
}

export interface MqttStats {
  connected: boolean;
  /** The broker in use (without credentials), null before start or when disabled. */
  broker: string | null;
  queued: number;
  inflight: number;
  /** Events dropped because the queue was full while the broker was away. */
  dropped: number;
  published: number;
  connects: number;
  /** The embedded broker's connections and refusals, when it runs. */
  embeddedBroker?: EmbeddedBrokerStats;
}

interface Inflight {
  msg: OutgoingMessage;
  kind: 'latest' | 'event';
}

export class MqttOutput implements Output {
  readonly name = 'mqtt';
  private readonly cfg: MqttConfig;
  private readonly tuning: MqttTuning;
  private readonly topics: Topics;
  private readonly log: Logger;
  private readonly queue: PublishQueue;
  private readonly commands: CommandHandler;
  private readonly backoff: Backoff;
  private readonly clock: Clock;
  private client: MqttClient | null = null;
  private embedded: EmbeddedBroker | null = null;
  private brokerUrl: string | null = null;
  private started = false;
  private closing = false;
  private latestState: ApplianceState | null = null;
  /** Net P&L of every closed trade in the ledger; refreshed after each exit. */
  private closedNetAllTime: number | null = null;
  private lastStateQueuedAt = 0;
  private stateTimer: Timer | null = null;
  private heartbeatTimer: Timer | null = null;
  private reconnectTimer: Timer | null = null;
  /** When a birth last re-announced, and the re-announcement that births within the interval wait for. */
  private lastBirthAnnounceAt = -Infinity;
  private birthTimer: Timer | null = null;
  private birthsCoalesced = 0;
  /** Bumped on every close, so late callbacks of a dead connection are ignored. */
  private generation = 0;
  private readonly inflight = new Map<number, Inflight>();
  private nextInflightId = 1;
  private lastProblem: ConnectionProblem | null = null;
  private droppedReported = 0;
  private published = 0;
  private connects = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly opts: MqttOutputOptions) {
    this.cfg = opts.config;
    this.tuning = { ...DEFAULT_MQTT_TUNING, ...opts.tuning };
    this.topics = topicsFor(this.cfg.baseTopic, opts.deviceId, this.cfg.discoveryPrefix);
    this.log = opts.log.child({ component: 'mqtt' });
    this.queue = new PublishQueue(this.tuning.eventQueueLimit);
    this.commands = new CommandHandler(this.topics, opts.control, this.cfg.allowRemoteResume);
    this.clock = opts.clock ?? realClock;
    this.backoff = new Backoff({ initialMs: this.tuning.reconnectMinMs, maxMs: this.tuning.reconnectMaxMs });
    registerSecret(this.cfg.password);
  }

  /** Begins connecting (starting the embedded broker first when no URL is configured). Never rejects. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.refreshAllTime();
    try {
      let url = this.cfg.url;
      if (!url) {
        if (!this.cfg.embeddedBroker.enabled) {
          this.log.warn('MQTT off: no mqtt.url is set and mqtt.embeddedBroker.enabled is false');
          return;
        }
        url = await this.startEmbedded();
      } else {
        this.log.info('MQTT: using the configured broker', { broker: displayUrl(url) });
      }
      this.brokerUrl = url;
      this.heartbeatTimer = this.clock.every(this.tuning.heartbeatMs, () => this.queueState(), { background: true });
      this.connectClient();
    } catch (err) {
      this.raise({ level: 'error', code: 'MQTT', message: `MQTT could not start: ${(err as Error).message}` });
    }
  }

  onEvents(events: readonly EngineEvent[], state: ApplianceState): void {
    try {
      if (events.some((e) => e.type === 'exit')) this.refreshAllTime();
      for (const e of events) {
        const m = eventMessage(e, state);
        if (m)
          this.queue.putEvent({
            topic: this.topics[m.topic],
            payload: JSON.stringify(m.body),
            qos: m.topic === 'signal' ? 0 : 1,
            retain: false,
          });
        // Never retained: HA drops a replayed retained event, and a notification must not fire twice.
        const ha = haEventPayload(e, state);
        if (ha) this.queue.putEvent({ topic: this.topics.event, payload: JSON.stringify(ha), qos: 1, retain: false });
      }
      this.onState(state);
      this.drain();
    } catch (err) {
      this.log.error('MQTT could not queue engine events', { err });
    }
  }

  onState(state: ApplianceState): void {
    try {
      this.latestState = state;
      if (this.stateTimer) return;
      const wait = this.lastStateQueuedAt + this.tuning.stateMinIntervalMs - this.clock.now();
      if (wait <= 0) {
        this.queueState();
        return;
      }
      this.stateTimer = this.clock.after(
        wait,
        () => {
          this.stateTimer = null;
          this.queueState();
        },
        { background: true },
      );
    } catch (err) {
      this.log.error('MQTT could not queue the state', { err });
    }
  }

  /** Publishes what is queued and `offline`, disconnects cleanly, stops the embedded broker. Never rejects. */
  async close(): Promise<void> {
    if (this.closing) return;
    if (this.stateTimer) {
      // The throttled last state goes out before closing (queueState refuses once closing is set).
      this.stateTimer.cancel();
      this.stateTimer = null;
      if (this.latestState) this.queueState();
    }
    this.closing = true;
    this.heartbeatTimer?.cancel();
    this.reconnectTimer?.cancel();
    this.birthTimer?.cancel();
    this.heartbeatTimer = this.reconnectTimer = this.birthTimer = null;
    const client = this.client;
    try {
      if (client?.connected) {
        await this.waitIdle(this.tuning.closeTimeoutMs);
        await withTimeout(
          new Promise<void>((resolve) =>
            client.publish(this.topics.availability, 'offline', { qos: 1, retain: true }, () => resolve()),
          ),
          this.tuning.closeTimeoutMs,
        );
        await withTimeout(
          new Promise<void>((resolve) => client.end(false, {}, () => resolve())),
          this.tuning.closeTimeoutMs,
        );
      }
      if (client && !client.disconnected) client.end(true);
    } catch (err) {
      this.log.warn('MQTT close was not clean', { err });
    }
    try {
      await this.embedded?.close();
    } catch (err) {
      this.log.warn('embedded MQTT broker did not close cleanly', { err });
    }
    for (const w of this.idleWaiters.splice(0)) w();
  }

  stats(): MqttStats {
    return {
      connected: Boolean(this.client?.connected),
      broker: this.brokerUrl ? displayUrl(this.brokerUrl) : null,
      queued: this.queue.size,
      inflight: this.inflight.size,
      dropped: this.queue.dropped,
      published: this.published,
      connects: this.connects,
      ...(this.embedded ? { embeddedBroker: this.embedded.stats() } : {}),
    };
  }

  /** Resolves true once connected, false after timeoutMs (handy for scripts and tests). */
  async whenConnected(timeoutMs: number): Promise<boolean> {
    // A wait on the network, in real time whatever the appliance's clock.
    const until = realClock.now() + timeoutMs;
    while (!this.client?.connected) {
      if (realClock.now() >= until || this.closing) return false;
      await realClock.sleep(25);
    }
    return true;
  }

  // ---- connection ---------------------------------------------------------------------------

  private async startEmbedded(): Promise<string> {
    const { host, port, allowAnonymous, users, maxPacketBytes, maxConnections, maxPublishPerSecond } =
      this.cfg.embeddedBroker;
    try {
      // aedes loads only here: a box publishing to an external broker never carries it.
      const { startEmbeddedBroker } = await import('./embedded-broker.js');
      this.embedded = await startEmbeddedBroker({
        host,
        port,
        log: this.log,
        baseTopic: this.cfg.baseTopic,
        deviceId: this.opts.deviceId,
        discoveryPrefix: this.cfg.discoveryPrefix,
        allowAnonymous,
        users,
        maxPacketBytes,
        maxConnections,
        maxPublishPerSecond,
        clock: this.clock,
      });
      this.log.info('MQTT: no mqtt.url set, using the embedded broker', {
        broker: this.embedded.url,
        host,
        port: this.embedded.port,
      });
      return this.embedded.url;
    } catch (err) {
      // Typically a Mosquitto already runs on the box: use it rather than publishing nowhere.
      const fallback = `mqtt://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
      this.raise({
        level: 'warn',
        code: 'MQTT',
        message: `${(err as Error).message}; connecting to ${fallback} instead`,
      });
      return fallback;
    }
  }

  private connectClient(): void {
    const url = this.brokerUrl!;
    let ca: Buffer | undefined;
    if (this.cfg.caFile) {
      try {
        ca = readCa(this.cfg.caFile);
      } catch (err) {
        this.raise({ level: 'error', code: 'MQTT', message: (err as Error).message });
      }
    }
    // On the embedded broker the box logs in with the secret it made for itself at start.
    const login = this.embedded ? this.embedded.internal : { username: this.cfg.username, password: this.cfg.password };
    const options: IClientOptions = clientOptions(
      { url, username: login.username, password: login.password, caFile: this.cfg.caFile },
      this.opts.deviceId,
      this.topics.availability,
      ca,
    );
    let client: MqttClient;
    try {
      client = connect(url, options);
    } catch (err) {
      this.raise({
        level: 'error',
        code: 'MQTT',
        message: `MQTT cannot connect to ${displayUrl(url)}: ${(err as Error).message} — check mqtt.url`,
      });
      return;
    }
    this.client = client;
    client.on('connect', () => this.onConnect(client));
    client.on('message', (topic, payload, packet) => this.onMessage(topic, payload, packet.retain));
    client.on('error', (err) => this.onError(err));
    client.on('close', () => this.onClose());
  }

  private onConnect(client: MqttClient): void {
    this.connects++;
    this.backoff.reset();
    if (this.lastProblem)
      this.raise(
        { level: 'info', code: 'MQTT', message: `MQTT connected to ${displayUrl(this.brokerUrl!)} again` },
        false,
      );
    else this.log.info('MQTT connected', { broker: displayUrl(this.brokerUrl!) });
    this.lastProblem = null;
    // `online` first, on every connect: the broker may have published our will meanwhile.
    this.send({ topic: this.topics.availability, payload: 'online', qos: 1, retain: true }, 'latest');
    const subs: Record<string, { qos: 1 }> = { [this.topics.commandWildcard]: { qos: 1 } };
    if (this.cfg.discovery) subs[this.topics.haStatus] = { qos: 1 };
    client.subscribe(subs, (err, granted) => {
      // A broker ACL refuses a subscription with granted QoS 128 rather than an error.
      const denied = (granted ?? []).filter((g) => g.qos === 128).map((g) => g.topic);
      if (err || denied.length > 0) {
        const why = err ? err.message : `the broker refused ${denied.join(', ')} (check its ACL)`;
        this.raise({
          level: 'error',
          code: 'MQTT',
          message: `MQTT subscribe failed: ${why} — halt over MQTT will not work (the button and CLI still do)`,
        });
      }
    });
    this.announce();
    const dropped = this.queue.dropped - this.droppedReported;
    if (dropped > 0) {
      this.droppedReported = this.queue.dropped;
      this.raise({
        level: 'warn',
        code: 'MQTT',
        message:
          `${dropped} MQTT messages (signals/trades/alerts) were dropped while the ` +
          `broker was unreachable (queue limit ${this.tuning.eventQueueLimit}); the ` +
          `ledger has every trade`,
      });
    }
    this.drain();
  }

  /**
   * Clears what the box announced before and no longer announces (HA device configs of an old
   * device id or with discovery now off, their state/availability), then announces discovery
   * (unless off) and the current state, retained, remembering each topic in the ledger.
   */
  private announce(): void {
    const ledger = this.opts.ledger;
    if (ledger) {
      const current = currentAnnouncements(this.topics, this.opts.deviceId, this.cfg.discovery, this.clock.now());
      const remembered = this.ledgerDo('read', () => ledger.mqttAnnounced()) ?? [];
      for (const old of staleAnnouncements(remembered, current)) {
        this.log.info('MQTT: clearing a retained topic announced before', {
          topic: old.topic,
          deviceId: old.deviceId,
          kind: old.kind,
        });
        this.queue.putLatest({
          topic: old.topic,
          payload: '',
          qos: 1,
          retain: true,
          onSent: () => this.ledgerDo('forget', () => ledger.forgetMqttAnnounced(old.topic)),
        });
      }
      const changed = newAnnouncements(remembered, current);
      if (changed.length) this.ledgerDo('remember', () => ledger.rememberMqttAnnounced(changed));
    }
    if (this.cfg.discovery) {
      const config = discoveryConfig(this.topics, {
        deviceId: this.opts.deviceId,
        serial: this.serial(),
        swVersion: this.opts.swVersion,
        configurationUrl: this.opts.configurationUrl,
      });
      this.queue.putLatest({ topic: this.topics.discovery, payload: JSON.stringify(config), qos: 1, retain: true });
    }
    if (this.latestState) this.queue.putLatest(this.stateMessage(this.latestState));
  }

  /** Runs a ledger call; a failing ledger (disk full) costs a warning, never the MQTT layer. */
  private ledgerDo<T>(what: string, fn: () => T): T | undefined {
    try {
      return fn();
    } catch (err) {
      this.log.warn(`MQTT: the ledger could not ${what} an announced topic`, { err });
      return undefined;
    }
  }

  private refreshAllTime(): void {
    const ledger = this.opts.ledger;
    if (!ledger) return;
    try {
      this.closedNetAllTime = ledger.allTimeNetPnl();
    } catch (err) {
      this.log.warn('MQTT: could not read the all-time net P&L from the ledger', { err });
    }
  }

  private cachedSerial: string | null | undefined;
  private serial(): string | null {
    if (this.cachedSerial === undefined)
      this.cachedSerial = this.opts.serial !== undefined ? this.opts.serial : readDeviceSerial();
    return this.cachedSerial;
  }

  private onMessage(topic: string, payload: Buffer, retained: boolean): void {
    try {
      if (topic === this.topics.haStatus) {
        if (payload.length <= MAX_COMMAND_BYTES && payload.toString('utf8').trim() === 'online') this.onBirth();
        return;
      }
      const outcome = this.commands.handle(topic, payload, retained);
      if (outcome.action !== 'ignored' || outcome.alert)
        this.log.info('MQTT command', { topic, action: outcome.action, bytes: payload.length });
      if (outcome.alert) this.raise(outcome.alert);
    } catch (err) {
      this.log.error('MQTT message handling failed', { topic, err });
    }
  }

  /**
   * Home Assistant came online: announce again, at most once per birthMinIntervalMs however many
   * births arrive (anyone on the LAN may publish one); births within the interval share one
   * re-announcement at its end.
   */
  private onBirth(): void {
    if (this.birthTimer || this.closing) {
      this.birthsCoalesced++;
      return;
    }
    const wait = this.lastBirthAnnounceAt + this.tuning.birthMinIntervalMs - this.clock.now();
    const reannounce = () => {
      this.birthTimer = null;
      if (this.closing) return;
      this.lastBirthAnnounceAt = this.clock.now();
      this.log.info(
        'Home Assistant came online: re-announcing discovery and state',
        this.birthsCoalesced ? { birthsCoalesced: this.birthsCoalesced } : undefined,
      );
      this.birthsCoalesced = 0;
      this.queue.putLatest({ topic: this.topics.availability, payload: 'online', qos: 1, retain: true });
      this.announce();
      this.drain();
    };
    if (wait <= 0) reannounce();
    else {
      this.birthsCoalesced++;
      this.birthTimer = this.clock.after(wait, reannounce, { background: true });
    }
  }

  private onError(err: unknown): void {
    const problem = describeConnectionError(err, this.brokerUrl ?? '');
    const repeat = this.lastProblem?.key === problem.key;
    this.lastProblem = problem;
    if (repeat) {
      this.log.debug('MQTT connection problem persists', { problem: problem.key });
      return;
    }
    // A broker that is briefly away is routine (warn); being refused or a TLS failure needs a person.
    this.raise(
      {
        level: problem.kind === 'network' || problem.kind === 'other' ? 'warn' : 'error',
        code: 'MQTT',
        message: problem.message,
      },
      false,
    );
  }

  private onClose(): void {
    this.generation++;
    // Whatever was in flight on the dead connection goes back to the queue (newest first, so
    // unshifting keeps the original order); consumers de-duplicate trades by tradeId.
    for (const f of [...this.inflight.values()].reverse()) this.queue.requeue(f.msg, f.kind);
    this.inflight.clear();
    if (this.closing) return;
    if (!this.lastProblem) {
      // Closed without an error: the broker went away, or (never connected) it did not answer.
      const message =
        this.connects === 0
          ? `MQTT broker ${displayUrl(this.brokerUrl ?? '')} did not complete a ` +
            `connection (no CONNACK; a TLS-only port needs mqtts://); retrying in the ` +
            `background`
          : `MQTT connection to ${displayUrl(this.brokerUrl ?? '')} lost; reconnecting in the background`;
      this.lastProblem = { kind: 'network', key: 'closed', message };
      this.raise({ level: 'warn', code: 'MQTT', message }, false);
    }
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.reconnectTimer || this.closing) return;
    const slow = this.lastProblem?.kind === 'refused' || this.lastProblem?.kind === 'tls';
    const delay = this.backoff.next(slow ? this.tuning.refusedRetryMaxMs : this.tuning.reconnectMaxMs);
    this.reconnectTimer = this.clock.after(
      delay,
      () => {
        this.reconnectTimer = null;
        if (this.closing || !this.client || this.client.connected) return;
        try {
          this.client.reconnect();
        } catch (err) {
          this.onError(err);
          this.scheduleReconnect();
        }
      },
      { background: true },
    );
  }

  // ---- publishing -----------------------------------------------------------------------------

  private stateMessage(state: ApplianceState): OutgoingMessage {
    return {
      topic: this.topics.state,
      payload: JSON.stringify(
        statePayload(state, { closedNetAllTime: this.closedNetAllTime, embeddedBroker: this.embedded?.stats() }),
      ),
      qos: 1,
      retain: true,
    };
  }

  private queueState(): void {
    if (!this.latestState || this.closing) return;
    this.lastStateQueuedAt = this.clock.now();
    this.queue.putLatest(this.stateMessage(this.latestState));
    this.drain();
  }

  private drain(): void {
    const client = this.client;
    while (client?.connected && this.inflight.size < this.tuning.maxInflight) {
      const next = this.queue.shift();
      if (!next) break;
      this.send(next.msg, next.kind);
    }
    if (this.queue.size === 0 && this.inflight.size === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  private send(msg: OutgoingMessage, kind: 'latest' | 'event'): void {
    const client = this.client!;
    const id = this.nextInflightId++;
    const generation = this.generation;
    this.inflight.set(id, { msg, kind });
    const done = (err?: Error) => {
      if (generation !== this.generation) return; // the connection closed; onClose requeued it
      this.inflight.delete(id);
      if (err) {
        if (client.connected) this.log.warn('MQTT publish failed; message dropped', { topic: msg.topic, err });
        else this.queue.requeue(msg, kind);
      } else {
        this.published++;
        if (msg.onSent) {
          try {
            msg.onSent();
          } catch (e) {
            this.log.warn('MQTT: after-publish step failed', { topic: msg.topic, err: e });
          }
        }
      }
      this.drain();
    };
    try {
      client.publish(msg.topic, msg.payload, { qos: msg.qos, retain: msg.retain }, done);
    } catch (err) {
      done(err as Error);
    }
  }

  /** Logs, tells the app (onAlert) and publishes on `…/alert` (queued if the broker is away). */
  private raise(a: MqttAlert, publish = true): void {
    this.log[a.level === 'info' ? 'info' : a.level === 'warn' ? 'warn' : 'error'](a.message, { code: a.code });
    try {
      this.opts.onAlert?.(a);
    } catch (err) {
      this.log.warn('onAlert handler threw', { err });
    }
    if (publish) {
      this.queue.putEvent({
        topic: this.topics.alert,
        payload: JSON.stringify(alertPayload(a, this.clock.now())),
        qos: 1,
        retain: false,
      });
      this.drain();
    }
  }

  private waitIdle(timeoutMs: number): Promise<boolean> {
    if (this.queue.size === 0 && this.inflight.size === 0) return Promise.resolve(true);
    return withTimeout(new Promise<void>((resolve) => this.idleWaiters.push(resolve)), timeoutMs);
  }
}

/**
 * Resolves true when p settles in time, false otherwise. A wait on the network: real time whatever the publisher's
 * clock.
 */
async function withTimeout(p: Promise<void>, ms: number): Promise<boolean> {
  let timer: Timer | undefined;
  const timeout = new Promise<boolean>((r) => {
    timer = realClock.after(ms, () => r(false));
  });
  try {
    return await Promise.race([p.then(() => true), timeout]);
  } finally {
    timer?.cancel();
  }
}
