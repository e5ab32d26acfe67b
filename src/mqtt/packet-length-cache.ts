/**
 * A workaround for mqtt-packet's length cache pinning Node's Buffer pool (mqttjs/mqtt-packet#163,
 * open upstream): `writeVarByteInt` keeps, for every packet length below 16,384 it meets, the Buffer
 * that `numbers.genBufVariableByteInt` made for it — a 4-byte `Buffer.allocUnsafe` slice of Node's
 * 8 KiB pool, which keeps that whole pool block alive. Lengths keep turning up (state and event
 * payloads vary in size), so a box that runs for months pins one more 8 KiB block every few distinct
 * lengths, scattered through glibc's heap (issue 25: +25 KB of arrayBuffers a session, and the holes
 * around them kept glibc's main heap from shrinking).
 *
 * The fix here, without touching node_modules: before mqtt-packet's writer is loaded (it reads the
 * function into a constant at load), `genBufVariableByteInt` is replaced by one that, for the lengths
 * the writer caches, returns a view into one 64 KiB block of our own (4 bytes per length, the same
 * bytes for the same length, so views handed out earlier stay right). Bounded: 64 KiB whatever runs.
 *
 * Imported for its effect, first, by every module that loads MQTT.js or aedes.
 */
import { createRequire } from 'node:module';

/** mqtt-packet caches the lengths below this (writeToStream.js: `if (num < 16384) varByteIntCache[num] = buffer`). */
export const CACHED_LENGTHS = 16_384;

interface Numbers {
  genBufVariableByteInt: (num: number) => Buffer;
  compactLengths?: Buffer;
}

/** Points mqtt-packet's length encoder at one fixed block; returns the block (tests look at it). */
export function compactLengthCache(numbers: Numbers): Buffer {
  if (numbers.compactLengths) return numbers.compactLengths;
  const encode = numbers.genBufVariableByteInt;
  const block = Buffer.alloc(CACHED_LENGTHS * 4);
  numbers.genBufVariableByteInt = (num: number): Buffer => {
    if (!(Number.isInteger(num) && num >= 0 && num < CACHED_LENGTHS)) return encode(num);
    const bytes = encode(num); // 1–2 bytes here; this pool slice is dropped at once
    const at = num * 4;
    bytes.copy(block, at);
    return block.subarray(at, at + bytes.length);
  };
  numbers.compactLengths = block;
  return block;
}

const require = createRequire(import.meta.url);
/** mqtt-packet as MQTT.js and aedes load it (one copy in node_modules; resolved from each to be sure). */
for (const from of ['mqtt', 'aedes']) {
  let numbersPath: string;
  try {
    numbersPath = createRequire(require.resolve(from)).resolve('mqtt-packet/numbers.js');
  } catch {
    continue;
  }
  compactLengthCache(require(numbersPath) as Numbers);
}
