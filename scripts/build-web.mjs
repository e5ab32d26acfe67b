#!/usr/bin/env node
// Bundles the page's script (src/web/client, with lightweight-charts) into dist/web/client.js.
// Part of `npm run build`; the box serves the file and `--html` exports inline it (no CDN).
import { build } from 'esbuild';
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outfile = `${root}dist/web/client.js`;
await build({
  entryPoints: [`${root}src/web/client/main.ts`],
  outfile,
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2022'],
  legalComments: 'eof', // keeps lightweight-charts' Apache-2.0 notice in the bundle
  logLevel: 'warning',
});
console.log(`build-web: ${outfile} (${(statSync(outfile).size / 1024).toFixed(0)} KiB)`);
