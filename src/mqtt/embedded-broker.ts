/**
 * A small MQTT broker inside the appliance (aedes, MQTT 3.1.1) for when no broker is configured,
 * so `mosquitto_sub -h <box> -t 'niftybox/#' -v` works out of the box. Loopback-only unless
 * `mqtt.embeddedBroker.host` says otherwise: it has no authentication.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { Aedes } from 'aedes';
import type { Logger } from '../log.js';

export interface EmbeddedBrokerOptions {
  host?: string;
  /** 0 picks a free port (tests). */
  port?: number;
  log?: Logger;
}

export interface EmbeddedBroker {
  /** `mqtt://host:port` to hand to MqttOutput. */
  url: string;
  host: string;
  port: number;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** Starts the broker; rejects with a clear Error when the port is taken or the host is wrong. */
export async function startEmbeddedBroker(opts: EmbeddedBrokerOptions = {}): Promise<EmbeddedBroker> {
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? 1883;
  const aedes = await Aedes.createBroker();
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    aedes.handle(socket);
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
        ? `embedded MQTT broker: port ${port} on ${host} is already in use (another broker?) — set mqtt.url to that broker, or mqtt.embeddedBroker.port to a free port`
        : `embedded MQTT broker could not listen on ${host}:${port}: ${(err as Error).message}`,
    );
  }
  server.on('error', (err) => opts.log?.error('embedded MQTT broker error', { err }));
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  if (!LOOPBACK.has(host)) opts.log?.warn('embedded MQTT broker listens beyond loopback without authentication', { host, port: actualPort });
  let closed = false;
  return {
    url: `mqtt://${urlHost}:${actualPort}`,
    host,
    port: actualPort,
    close: async () => {
      if (closed) return;
      closed = true;
      await new Promise<void>((r) => aedes.close(() => r()));
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
