/**
 * mqtt-packet's length cache (mqttjs/mqtt-packet#163): through the app's MQTT module (which loads the
 * workaround first), every cached packet-length field MQTT.js writes is a view into one fixed 64 KiB
 * block, not a slice pinning one of Node's 8 KiB pool blocks per length; and the packets stay
 * byte-for-byte what MQTT readers parse back.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import '../../src/mqtt/mqtt-output.js';
import { CACHED_LENGTHS } from '../../src/mqtt/packet-length-cache.js';

const require = createRequire(createRequire(import.meta.url).resolve('mqtt'));
const mqttPacket = require('mqtt-packet') as {
  writeToStream: (packet: object, stream: object) => boolean;
  parser: (opts?: object) => {
    on: (e: string, f: (p: { topic: string; payload: Buffer }) => void) => void;
    parse: (b: Buffer) => void;
  };
};

/** Writes one PUBLISH with a payload of `size` bytes; returns the chunks the writer handed the stream. */
function writePublish(size: number): (Buffer | string)[] {
  const chunks: (Buffer | string)[] = [];
  // a stream that keeps every chunk as written (a real one may concatenate them when corked)
  const stream = {
    write: (c: Buffer | string) => (chunks.push(c), true),
    uncork: () => undefined,
    destroy: (err: Error) => {
      throw err;
    },
  };
  mqttPacket.writeToStream(
    { cmd: 'publish', topic: 'niftybox/box/state', payload: Buffer.alloc(size, 0x61), qos: 0, retain: true },
    stream,
  );
  return chunks;
}

describe('mqtt-packet length cache (mqttjs/mqtt-packet#163 worked around)', () => {
  it(
    'puts every cached length in one fixed block, however many distinct ' + 'lengths and pool allocations come between',
    () => {
      const lengthBlocks = new Set<ArrayBufferLike>();
      const poolBlocks = new Set<ArrayBufferLike>();
      for (let size = 1; size < 6000; size += 3) {
        const chunks = writePublish(size);
        const remaining = size + 2 + 'niftybox/box/state'.length; // topic length prefix + topic + payload
        const lengthField = chunks[1] as Buffer;
        expect(lengthField.length).toBe(remaining < 128 ? 1 : 2);
        lengthBlocks.add(lengthField.buffer);
        for (let i = 0; i < 8; i++) poolBlocks.add(Buffer.allocUnsafe(64).buffer); // other code moving Node's pool on
      }
      expect(poolBlocks.size).toBeGreaterThan(10); // the pool did move on between packets
      expect(lengthBlocks.size).toBe(1);
      expect([...lengthBlocks][0]!.byteLength).toBe(CACHED_LENGTHS * 4);
    },
  );

  it('writes packets that parse back to the same topic and payload', () => {
    for (const size of [0, 1, 100, 127, 128, 1000, 16_000, 16_400, 70_000]) {
      const bytes = Buffer.concat(writePublish(size).map((c) => (typeof c === 'string' ? Buffer.from(c) : c)));
      const got: { topic: string; payload: Buffer }[] = [];
      const parser = mqttPacket.parser();
      parser.on('packet', (p) => got.push(p));
      parser.parse(bytes);
      expect(got).toHaveLength(1);
      expect(got[0]!.topic).toBe('niftybox/box/state');
      expect(got[0]!.payload.equals(Buffer.alloc(size, 0x61))).toBe(true);
    }
  });
});
