/**
 * Renders the small subset of Jinja our Home Assistant templates use — `value_json.a.b`,
 * `X if C else Y`, `and`/`or`/`not`, `~` (string join), `is (not) none`, arithmetic, `| tojson` — the way HA would
 * print the result (None/True/False). Reading a key the state does not have throws, so a template
 * that names a wrong field fails the test instead of rendering "None" quietly.
 */
export function renderTemplate(template: string, valueJson: unknown): string {
  const m = /^\s*\{\{(.*)\}\}\s*$/s.exec(template);
  if (!m) throw new Error(`not a single {{ … }} template: ${template}`);
  let expr = m[1]!.trim();
  let tojson = false;
  const tj = /^(.*)\|\s*tojson\s*$/s.exec(expr);
  if (tj) {
    tojson = true;
    expr = tj[1]!.trim();
  }
  if (expr.includes('|')) throw new Error(`filter not supported by the test renderer: ${expr}`);
  const ie = /^(.*?)\s+if\s+(.*?)\s+else\s+(.*)$/s.exec(expr);
  if (ie) expr = `((${ie[2]}) ? (${ie[1]}) : (${ie[3]}))`;
  expr = expr
    .replace(/\s~\s/g, " + '' + ")
    .replace(/\bis not none\b/g, '!= null')
    .replace(/\bis none\b/g, '== null')
    .replace(/\band\b/g, '&&')
    .replace(/\bor\b/g, '||')
    .replace(/\bnot\b/g, '!')
    .replace(/\b[nN]one\b/g, 'null');
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const fn = new Function('value_json', `"use strict"; return (${expr});`) as (v: unknown) => unknown;
  const v = fn(strict(valueJson));
  return tojson ? JSON.stringify(v) : pythonStr(v);
}

function strict(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  return new Proxy(v as object, {
    get(target, key) {
      if (typeof key === 'symbol' || key === 'toJSON') return Reflect.get(target, key);
      if (!(key in target)) throw new Error(`template reads value_json…${key}, which the state does not have`);
      return strict(Reflect.get(target, key));
    },
  });
}

function pythonStr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  return String(v);
}
