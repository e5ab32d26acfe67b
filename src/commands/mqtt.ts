/**
 * `niftybox mqtt forget [--device ID]`: removes a device from Home Assistant by hand — an empty
 * retained message on its device config, state and availability topics of the configured broker.
 * `niftybox mqtt hash-password`: reads a password on stdin and prints the scrypt hash for
 * `mqtt.embeddedBroker.users[].passwordHash`.
 */
import '../mqtt/packet-length-cache.js'; // first: before mqtt-packet's writer loads (mqttjs/mqtt-packet#163)
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { connect, type IClientOptions } from 'mqtt';
import { dbPath, loadConfig } from '../config.js';
import { createLogger } from '../log.js';
import { deviceTopics } from '../mqtt/announcements.js';
import { displayUrl, readCa } from '../mqtt/connection.js';
import { hashPassword } from '../mqtt/password.js';
import { topicsFor } from '../mqtt/topics.js';
import { Ledger, LedgerError } from '../store/ledger.js';
import { parseFlags } from './args.js';
import { usageLine } from './usage.js';
import { UsageError } from '../lib/errors.js';

const FORGET_USAGE = usageLine('mqtt forget', 51);
const HASH_USAGE = usageLine('mqtt hash-password', 51);
const USAGE = `${FORGET_USAGE}\n${HASH_USAGE}`;

export async function mqttCommand(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  if (verb === 'forget') return forget(rest);
  if (verb === 'hash-password') return hashPasswordCommand(rest);
  if (verb === '--help' || verb === '-h') {
    process.stdout.write(`usage:\n${USAGE}\n`);
    return 0;
  }
  throw new UsageError(`${verb ? `unknown mqtt command "${verb}"` : 'mqtt needs a command'}\nusage:\n${USAGE}`);
}

const EX_IOERR = 74;

async function forget(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, { device: { type: 'string' }, config: { type: 'string' } }, FORGET_USAGE);
  const { config } = loadConfig(values.config);
  const deviceId = values.device ?? config.deviceId;
  if (!/^[^#+/\s]+$/.test(deviceId))
    throw new UsageError(`--device "${deviceId}" is not a device id (no /, +, # or spaces)`);
  const mq = config.mqtt;
  const url = mq.url ?? `mqtt://127.0.0.1:${mq.embeddedBroker.port}`;
  const topics = deviceTopics(topicsFor(mq.baseTopic, deviceId, mq.discoveryPrefix));
  const options: IClientOptions = {
    clientId: `niftybox-forget-${randomBytes(4).toString('hex')}`,
    protocolVersion: 4,
    clean: true,
    connectTimeout: 5_000,
    reconnectPeriod: 0,
    ...(mq.username !== undefined ? { username: mq.username } : {}),
    ...(mq.password !== undefined ? { password: mq.password } : {}),
    ...(mq.caFile ? { ca: readCa(mq.caFile) } : {}),
  };
  const where = displayUrl(url);
  const problem = await clearRetained(url, options, topics);
  if (problem) {
    const hint = mq.url
      ? 'check mqtt.url, mqtt.username and mqtt.password (NIFTYBOX_MQTT_USERNAME ' +
        "/ NIFTYBOX_MQTT_PASSWORD) and that the broker's ACL lets that user " +
        'publish to homeassistant/# and niftybox/#'
      : 'no mqtt.url is set, so this is the embedded broker: it runs only while ' +
        '`niftybox run` does (and forgets retained messages when it stops), and ' +
        'an anonymous client may not clear topics — set NIFTYBOX_MQTT_USERNAME / ' +
        'NIFTYBOX_MQTT_PASSWORD to a user of mqtt.embeddedBroker.users whose ' +
        'publish list has homeassistant/# and niftybox/#';
    process.stderr.write(`niftybox mqtt forget: ${where}: ${problem} — ${hint}\n`);
    return EX_IOERR;
  }
  process.stdout.write(`removed device "${deviceId}" from ${where}: cleared ${topics.join(', ')}\n`);
  forgetInLedger(dbPath(config), deviceId);
  if (deviceId === config.deviceId && mq.discovery) {
    process.stdout.write(
      `note: "${deviceId}" is this box's own device id and mqtt.discovery is ` +
        `true: a running box announces it again on its next connection; set ` +
        `mqtt.discovery: false to keep it out of Home Assistant\n`,
    );
  }
  return 0;
}

/**
 * Publishes an empty retained message (QoS 1) to each topic, then subscribes to them to check that
 * nothing is retained any more: a broker acknowledges a publish its ACL drops (Mosquitto and the
 * embedded broker both do), so the acknowledgement alone proves nothing. Resolves with what went
 * wrong, or null; topics the user may not read are reported as unchecked.
 */
function clearRetained(url: string, options: IClientOptions, topics: string[]): Promise<string | null> {
  return new Promise((resolve) => {
    const client = connect(url, options);
    let settled = false;
    const finish = (problem: string | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      client.end(true);
      resolve(problem);
    };
    const timer = setTimeout(() => finish('no answer within 10 s'), 10_000);
    client.on('error', (err) => finish((err as Error).message));
    client.on('close', () => finish('the broker closed the connection'));
    const stillRetained = new Set<string>();
    client.on('message', (topic, payload, packet) => {
      if (packet.retain && payload.length > 0) stillRetained.add(topic);
    });
    client.on('connect', () => {
      let left = topics.length;
      for (const topic of topics) {
        client.publish(topic, '', { qos: 1, retain: true }, (err) => {
          if (err) return finish(`publishing to ${topic} failed: ${err.message}`);
          if (--left > 0) return;
          client.subscribe(topics, { qos: 0 }, (subErr, granted) => {
            if (subErr) return finish(`could not check the topics: ${subErr.message}`);
            const unreadable = (granted ?? []).filter((g) => g.qos === 128).map((g) => g.topic);
            setTimeout(() => {
              if (stillRetained.size > 0)
                return finish(
                  `the broker still holds ${[...stillRetained].join(', ')}: it dropped the ` +
                    `empty messages (this user may not publish there)`,
                );
              if (unreadable.length > 0)
                process.stderr.write(
                  `niftybox mqtt forget: could not check ${unreadable.join(', ')} (this user may not read them)\n`,
                );
              finish(null);
            }, 700);
          });
        });
      }
    });
  });
}

/**
 * Drops the device's remembered announcements when the ledger is free (the box not running); else leaves them (clearing
 * twice is harmless).
 */
function forgetInLedger(file: string, deviceId: string): void {
  if (!existsSync(file)) return;
  const log = createLogger({ command: 'mqtt forget' });
  let ledger: Ledger | null = null;
  try {
    ledger = Ledger.open(file, { log, busyTimeoutMs: 200, verifyOnOpen: false });
    for (const a of ledger.mqttAnnounced()) if (a.deviceId === deviceId) ledger.forgetMqttAnnounced(a.topic);
  } catch (err) {
    if (!(err instanceof LedgerError)) throw err;
  } finally {
    ledger?.close();
  }
}

async function hashPasswordCommand(argv: string[]): Promise<number> {
  parseFlags(argv, {}, HASH_USAGE);
  const password = await readPassword();
  if (!password)
    throw new UsageError(`no password on stdin\nusage: printf '%s' 'the password' | niftybox mqtt hash-password`);
  process.stdout.write(hashPassword(password) + '\n');
  return 0;
}

/** The password from stdin: without echo on a terminal, else the whole input less one trailing newline. */
async function readPassword(): Promise<string> {
  const stdin = process.stdin;
  if (stdin.isTTY) {
    process.stderr.write('password: ');
    stdin.setRawMode(true);
    let pw = '';
    try {
      for await (const chunk of stdin) {
        const s = String(chunk);
        if (s === '\u0003') throw new UsageError('cancelled');
        if (s === '\r' || s === '\n') break;
        pw = s === '\u007f' ? pw.slice(0, -1) : pw + s;
      }
    } finally {
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
    }
    return pw;
  }
  let text = '';
  for await (const chunk of stdin) text += String(chunk);
  return text.replace(/\r?\n$/, '');
}
