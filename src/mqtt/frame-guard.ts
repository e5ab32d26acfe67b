/**
 * A socket wrapper that reads MQTT's framing (fixed header and remaining length, MQTT 3.1.1 §2.2)
 * as bytes arrive and cuts the connection the moment a packet announces more than the limit, so
 * an oversized publish is never buffered whole (mqtt-packet, under aedes, collects a packet in
 * full before anyone may refuse it: one anonymous 64 MB publish used to cost the box 200 MB).
 * It passes the bytes through unchanged, with the socket's back-pressure.
 */
import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';

export interface FrameGuardOptions {
  maxPacketBytes: number;
  /** Called once when the guard cuts the connection. */
  onOversized: (announcedBytes: number | null) => void;
}

type State = { at: 'header' } | { at: 'length'; value: number; shift: number } | { at: 'body'; left: number };

/**
 * Follows the framing of an MQTT byte stream; returns the announced length of a packet over the limit, -1 for bad
 * framing, else null.
 */
export class FrameReader {
  private state: State = { at: 'header' };

  constructor(private readonly maxPacketBytes: number) {}

  feed(chunk: Buffer): number | null {
    let i = 0;
    while (i < chunk.length) {
      const s = this.state;
      if (s.at === 'header') {
        i++;
        this.state = { at: 'length', value: 0, shift: 0 };
      } else if (s.at === 'length') {
        const b = chunk[i++]!;
        s.value += (b & 0x7f) * 2 ** s.shift;
        s.shift += 7;
        if (b & 0x80) {
          if (s.shift >= 28) return -1; // a fifth length byte: not MQTT
          continue;
        }
        if (s.value > this.maxPacketBytes) return s.value;
        this.state = s.value === 0 ? { at: 'header' } : { at: 'body', left: s.value };
      } else {
        const take = Math.min(s.left, chunk.length - i);
        i += take;
        s.left -= take;
        if (s.left === 0) this.state = { at: 'header' };
      }
    }
    return null;
  }
}

/** The socket as aedes should see it: the same bytes, or none past a packet over the limit. */
export function guardSocket(socket: Socket, opts: FrameGuardOptions): Duplex {
  const reader = new FrameReader(opts.maxPacketBytes);
  const guarded = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _enc, cb) {
      socket.write(chunk, cb);
    },
    final(cb) {
      socket.end(cb);
    },
    destroy(err, cb) {
      socket.destroy();
      cb(err);
    },
  });
  socket.on('data', (chunk: Buffer) => {
    const over = reader.feed(chunk);
    if (over !== null) {
      socket.pause();
      opts.onOversized(over < 0 ? null : over);
      guarded.destroy(
        new Error(
          over < 0
            ? 'malformed MQTT packet length'
            : `MQTT packet of ${over} bytes is over the limit of ${opts.maxPacketBytes}`,
        ),
      );
      return;
    }
    if (!guarded.push(chunk)) socket.pause();
  });
  socket.on('end', () => guarded.push(null));
  socket.on('error', (err) => guarded.destroy(err));
  socket.on('close', () => guarded.destroy());
  return guarded;
}
