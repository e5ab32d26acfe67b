// The node flags (ExecStart) and Environment= of systemd/niftybox.service — NODE_OPTIONS, malloc
// tuning, TZ… — so that the session bench and the soak measure the process the Pi runs.
import { readFileSync } from 'node:fs';

export function unitSettings(unitFile = new URL('../../systemd/niftybox.service', import.meta.url)) {
  const unit = readFileSync(unitFile, 'utf8');
  const exec = /^ExecStart=\S*node\s+(.*?)\s+\S*dist\/cli\.js/m.exec(unit);
  const flags = exec ? exec[1].split(/\s+/).filter((f) => f.startsWith('--')) : [];
  const env = {};
  for (const [, line] of unit.matchAll(/^Environment=(.*)$/gm)) {
    // systemd: space-separated assignments, each optionally in double quotes
    for (const m of line.matchAll(/"([^"]*)"|(\S+)/g)) {
      const a = m[1] ?? m[2];
      const eq = a.indexOf('=');
      if (eq > 0) env[a.slice(0, eq)] = a.slice(eq + 1);
    }
  }
  return { flags, env };
}
