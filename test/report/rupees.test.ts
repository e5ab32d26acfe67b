import { describe, expect, it } from 'vitest';
import { groupIndian } from '../../src/report/rupees.js';

describe('groupIndian', () => {
  it('groups the way en-IN does: the last three digits, then twos', () => {
    expect(groupIndian(0)).toBe('0.00');
    expect(groupIndian(999.5)).toBe('999.50');
    expect(groupIndian(1000)).toBe('1,000.00');
    expect(groupIndian(12345.6)).toBe('12,345.60');
    expect(groupIndian(123456.78)).toBe('1,23,456.78');
    expect(groupIndian(12345678.9)).toBe('1,23,45,678.90');
    expect(groupIndian(-4321.1)).toBe('4,321.10'); // the sign is the caller's
    expect(groupIndian(1234567, 0)).toBe('12,34,567');
  });

  it('matches toLocaleString("en-IN") on paise amounts across magnitudes', () => {
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 5000; i++) {
      const v = Math.round(rand() * 10 ** Math.floor(rand() * 11)) / 100;
      expect(groupIndian(v)).toBe(v.toLocaleString('en-IN', { minimumFractionDigits: 2, maximumFractionDigits: 2 }));
    }
  });
});
