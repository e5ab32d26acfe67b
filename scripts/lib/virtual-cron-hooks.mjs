// Module hook (registered by scripts/lib/virtual-clock.mjs): `node-cron` resolves to virtual-cron.mjs.
export async function resolve(specifier, context, next) {
  if (specifier === 'node-cron') return { url: new URL('./virtual-cron.mjs', import.meta.url).href, shortCircuit: true };
  return next(specifier, context);
}
