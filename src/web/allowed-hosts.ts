/**
 * Which Host headers the page answers: only names and addresses of this box. A page on another
 * site that rebinds its own name to the box's address (DNS rebinding) sends `Host: attacker.example`
 * and gets 421 instead of the page, its CSRF token and the Halt button.
 */
import { hostname, networkInterfaces } from 'node:os';

/** The host part of a Host header, lower case, without the port; IPv6 keeps its brackets. Null when malformed. */
export function hostOf(header: string | undefined): string | null {
  if (!header) return null;
  const h = header.trim().toLowerCase();
  const m = /^(\[[0-9a-f:.]+\]|[a-z0-9._-]+)(?::\d{1,5})?$/.exec(h);
  return m ? m[1]!.replace(/\.$/, '') : null;
}

/** The box's own names and addresses, as they appear in a Host header. */
export function boxHosts(
  extra: readonly string[] = [],
  host = hostname(),
  interfaces = networkInterfaces(),
): Set<string> {
  const names = new Set<string>(['localhost', '127.0.0.1', '[::1]']);
  const name = host.toLowerCase();
  if (name) {
    names.add(name);
    names.add(`${name.split('.')[0]}.local`);
  }
  for (const list of Object.values(interfaces)) {
    for (const a of list ?? [])
      names.add(a.family === 'IPv6' ? `[${a.address.split('%')[0]!.toLowerCase()}]` : a.address);
  }
  for (const e of extra) {
    const h = hostOf(e);
    if (h) names.add(h);
  }
  return names;
}

/**
 * Answers whether a Host header names this box; the interface list is read again when a host is not in it (DHCP moves).
 */
export class HostAllowList {
  private known: Set<string>;
  private readAt = 0;

  constructor(
    private readonly extra: readonly string[],
    private readonly now: () => number,
  ) {
    this.known = boxHosts(extra);
    this.readAt = now();
  }

  allows(header: string | undefined): boolean {
    const h = hostOf(header);
    if (!h) return false;
    if (this.known.has(h)) return true;
    // A forged Host must not make every request re-read the interfaces: at most once a second.
    if (this.now() - this.readAt < 1000) return false;
    this.known = boxHosts(this.extra);
    this.readAt = this.now();
    return this.known.has(h);
  }
}
