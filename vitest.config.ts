import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Every appliance a test starts serves its page on a free loopback port, never on 8080.
    env: { NIFTYBOX_WEB_PORT: '0', NIFTYBOX_WEB_BIND: '127.0.0.1' },
  },
});
