/**
 * How the publisher reaches its broker: client options (client id, credentials, CA file, last
 * will) and turning connection failures into messages that say what
 * happened and what to do.
 */
import { readFileSync } from 'node:fs';
import type { IClientOptions } from 'mqtt';

export interface ConnectionSettings {
  url: string;
  username?: string;
  password?: string;
  caFile?: string;
}

/** The URL without any `user:password@` part, for logs. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//');
  }
}

/** Reads the CA certificate; throws an Error that names the file and the fix. */
export function readCa(caFile: string): Buffer {
  try {
    return readFileSync(caFile);
  } catch (err) {
    throw new Error(
      `cannot read mqtt.caFile ${caFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message} ` +
        `— point it at the PEM certificate of the CA that signed the broker's ` +
        `certificate`,
    );
  }
}

/**
 * MQTT 3.1.1 (the embedded aedes broker speaks only 3.1.x; every broker speaks it). Reconnects are
 * scheduled by the publisher (reconnectPeriod 0) so it can back off and know each attempt.
 */
export function clientOptions(
  s: ConnectionSettings,
  deviceId: string,
  availabilityTopic: string,
  ca?: Buffer,
): IClientOptions {
  return {
    clientId: `niftybox-${deviceId}`,
    protocolVersion: 4,
    clean: true,
    keepalive: 30,
    connectTimeout: 10_000,
    reconnectPeriod: 0,
    resubscribe: false,
    queueQoSZero: false,
    // mqtt-packet's number cache is 65,536 two-byte Buffers (≈ 6 MB of heap) to save an allocation per packet.
    writeCache: false,
    ...(s.username !== undefined ? { username: s.username } : {}),
    ...(s.password !== undefined ? { password: s.password } : {}),
    ...(ca ? { ca } : {}),
    will: { topic: availabilityTopic, payload: Buffer.from('offline'), qos: 1, retain: true },
  };
}

export type ProblemKind = 'refused' | 'tls' | 'network' | 'other';

export interface ConnectionProblem {
  kind: ProblemKind;
  /** Same problem → same key, so a retry loop logs it once. */
  key: string;
  message: string;
}

const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'EPROTO',
]);

/** Describes a client 'error' event for the log and the alert. */
export function describeConnectionError(err: unknown, url: string): ConnectionProblem {
  const where = displayUrl(url);
  const e = err as { code?: unknown; message?: string };
  const msg = e?.message ?? String(err);
  if (typeof e?.code === 'number') {
    const code = e.code;
    let hint = '';
    if (code === 4 || code === 5 || code === 134 || code === 135) {
      hint =
        ' — check mqtt.username and mqtt.password (NIFTYBOX_MQTT_USERNAME / ' +
        "NIFTYBOX_MQTT_PASSWORD) and the broker's ACL";
    } else if (code === 2 || code === 133) {
      hint = ' — the broker rejected the client id niftybox-<deviceId>; pick a deviceId of letters, digits, _ and -';
    }
    return {
      kind: 'refused',
      key: `refused:${code}`,
      message:
        `MQTT broker ${where} refused the connection: ${msg.replace(/^Connection refused: /, '')} ` +
        `(reason code ${code})${hint}`,
    };
  }
  const code = typeof e?.code === 'string' ? e.code : '';
  if (TLS_CODES.has(code) || /certificate|ssl|tls/i.test(msg)) {
    return {
      kind: 'tls',
      key: `tls:${code || msg}`,
      message:
        `TLS with MQTT broker ${where} failed: ${msg}${code ? ` (${code})` : ''} ` +
        `— set mqtt.caFile to the CA certificate that signed the broker's ` +
        `certificate, and use the host name the certificate names`,
    };
  }
  if (code === 'ECONNRESET' && url.startsWith('mqtts:')) {
    return {
      kind: 'tls',
      key: 'tls:ECONNRESET',
      message:
        `TLS handshake with MQTT broker ${where} was cut off (ECONNRESET): is ` +
        `that port a TLS listener? Use mqtt:// for a plain port, or the broker's ` +
        `TLS port (usually 8883)`,
    };
  }
  if (code === 'ECONNREFUSED')
    return {
      kind: 'network',
      key: code,
      message:
        `MQTT broker ${where} is not accepting connections (ECONNREFUSED): is it ` +
        `running? Retrying in the background`,
    };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return {
      kind: 'network',
      key: code,
      message: `MQTT broker host in ${where} does not resolve (${code}): check mqtt.url. Retrying in the background`,
    };
  if (code)
    return {
      kind: 'network',
      key: code,
      message: `MQTT connection to ${where} failed: ${msg} (${code}). Retrying in the background`,
    };
  return {
    kind: 'other',
    key: `other:${msg}`,
    message: `MQTT connection to ${where} failed: ${msg}. Retrying in the background`,
  };
}
