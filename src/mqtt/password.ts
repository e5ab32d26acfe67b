/**
 * Password hashes for the embedded broker's users (`mqtt.embeddedBroker.users[].passwordHash`):
 * scrypt from node:crypto, stored as `scrypt$N$r$p$<salt base64>$<hash base64>`, so a config file
 * never holds a password. Make one with `niftybox mqtt hash-password` (reads the password on stdin).
 */
import { randomBytes, scrypt, scryptSync, timingSafeEqual } from 'node:crypto';

const N = 16384;
const R = 8;
const P = 1;
const KEY_BYTES = 32;
export const PASSWORD_HASH_PATTERN = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

export function hashPassword(password: string, salt: Buffer = randomBytes(16)): string {
  const key = scryptSync(password, salt, KEY_BYTES, { N, r: R, p: P });
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** True when the password matches the hash; false for a wrong password or a malformed hash. Never throws. */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const m = PASSWORD_HASH_PATTERN.exec(hash);
  if (!m) return false;
  const [n, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const salt = Buffer.from(m[4]!, 'base64');
  const expected = Buffer.from(m[5]!, 'base64');
  if (expected.length === 0 || n > 1 << 20 || r > 32 || p > 16) return false;
  const key = await new Promise<Buffer | null>((resolve) =>
    scrypt(password, salt, expected.length, { N: n, r, p, maxmem: 256 * n * r + 1024 * 1024 }, (err, k) =>
      resolve(err ? null : k),
    ),
  );
  return key !== null && timingSafeEqual(key, expected);
}
