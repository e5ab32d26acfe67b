/**
 * The page's HTML shell, shared by the box (which serves the script from /app.js) and the offline
 * export (which inlines the script and the data). The client (src/web/client) fills it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { escapeHtml } from '../lib/html.js';

/**
 * The bundled client, built by `npm run build` (scripts/build-web.mjs) next to this module in
 * dist/web; code run from src/ (tests) reads the built one.
 */
const BESIDE = fileURLToPath(new URL('./client.js', import.meta.url));
export const CLIENT_BUNDLE = existsSync(BESIDE)
  ? BESIDE
  : fileURLToPath(new URL('../../dist/web/client.js', import.meta.url));

export function readClientBundle(): string {
  try {
    return readFileSync(CLIENT_BUNDLE, 'utf8');
  } catch (err) {
    throw new Error(
      `the page's script ${CLIENT_BUNDLE} is missing ` +
        `(${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): run ` +
        `"npm run build"`,
    );
  }
}

const STYLE =
  `
:root{color-scheme:dark;--bg:#0f1216;--panel:#171b21;--line:#2a3039;--fg:#d7dde5;--dim:#8a95a3;` +
  `--up:#26a69a;--down:#ef5350;--warn:#f0b429}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
header{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;padding:.6rem .8rem;` +
  `border-bottom:1px solid var(--line);position:sticky;top:0;background:var(--bg);z-index:5}
header h1{font-size:1rem;margin:0;white-space:nowrap}
main{padding:.6rem .8rem;max-width:1600px;margin:0 auto}
section{background:var(--panel);border:1px solid var(--line);border-radius:6px;padding:.6rem;margin-bottom:.8rem}
section h2{font-size:.95rem;margin:0 0 .4rem}
.grid2{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:.8rem}
.grid2>*{min-width:0}
.chart{width:100%;height:300px;min-width:0;overflow:hidden}
.chart.tall{height:460px}
.chart.short{height:220px}
.kv{display:flex;flex-wrap:wrap;gap:.3rem 1.2rem}
.kv div span{color:var(--dim);margin-right:.3rem}
.pill{display:inline-block;padding:.1rem .5rem;border-radius:1rem;font-weight:600}
.pill.ok{background:#1d3b33;color:#6fe0c5}.pill.bad{background:#4a1f22;color:#ff9a97}` +
  `.pill.warn{background:#463a17;color:var(--warn)}
.pos{color:var(--up)}.neg{color:var(--down)}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
th,td{padding:.25rem .4rem;border-bottom:1px solid var(--line);text-align:right;white-space:nowrap}
th:first-child,td:first-child,td.l,th.l{text-align:left}
tbody tr{cursor:pointer}tbody tr:hover,tr.sel{background:#222a33}
.scroll{overflow:auto;max-height:420px}
button,select,input{font:inherit;color:var(--fg);background:#222a33;border:1px solid var(--line);` +
  `border-radius:4px;padding:.3rem .6rem}
button.halt{background:#8b1e1e;border-color:#c33;color:#fff;font-weight:700}
button:disabled{opacity:.5}
.dim{color:var(--dim)}
.legend{font-size:12px;color:var(--dim);margin:.2rem 0}
#error{display:none;background:#4a1f22;color:#ffb4b1;padding:.5rem .8rem}
@media (max-width:760px){.grid2{grid-template-columns:minmax(0,1fr)}main{padding:.4rem}section{padding:.5rem}` +
  `th,td{padding:.2rem .3rem}.chart{height:240px}.chart.tall{height:380px}header{gap:.4rem .8rem}body{font-size:13px}}
`;

export interface ShellOptions {
  title: string;
  /** Live: the CSRF token the page sends with each POST. */
  csrf?: string;
  /** Offline export: the data and the script, inlined. */
  inline?: { data: unknown; script: string };
}

export function pageHtml(o: ShellOptions): string {
  const head = [
    '<!doctype html><html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width,initial-scale=1">',
    `<title>${escapeHtml(o.title)}</title>`,
    '<link rel="icon" href="data:,">',
    o.csrf ? `<meta name="csrf-token" content="${escapeHtml(o.csrf)}">` : '',
    `<style>${STYLE}</style></head><body><div id="error"></div><div id="app"></div>`,
  ].join('');
  if (!o.inline) return `${head}<script src="/app.js"></script></body></html>`;
  const data = JSON.stringify(o.inline.data).replace(/</g, '\\u003c');
  const script = o.inline.script.replace(/<\/(script)/gi, '<\\/$1');
  return (
    `${head}<script id="niftybox-data" ` +
    `type="application/json">${data}</script><script>${script}</script></body></html>`
  );
}
