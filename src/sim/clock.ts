/** Time for the simulated world: the appliance's clocks (src/lib/clock.ts). The sim only reads the time. */
import type { Clock as AppClock } from '../lib/clock.js';

export { ManualClock, VirtualClock, type Timer } from '../lib/clock.js';
export type Clock = Pick<AppClock, 'now'>;
