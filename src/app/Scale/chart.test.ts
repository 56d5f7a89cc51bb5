import { describe, expect, it } from 'vitest';
import { decades, logScale, seriesPath, shortCount, yTop } from './chart.ts';

describe('scale chart geometry', () => {
  it('maps decades to equal steps', () => {
    const y = logScale(1, 1000, 300, 0);
    expect(y(1)).toBe(300);
    expect(y(10)).toBeCloseTo(200);
    expect(y(1000)).toBeCloseTo(0);
    expect(y(0)).toBe(300);
  });

  it('puts the top line a decade above the data', () => {
    const p = { services: 1000, endpointsPerService: 6, proxy: 'iptables' as const, iptablesRules: 20036, natRules: 20018, ipsetEntries: 0, virtualServers: 0, nftRules: 0, nftElements: 0, rulesMatched: 21, rulesEvaluated: 1100 };
    expect(yTop([p])).toBe(100000);
    expect(yTop([])).toBe(1000);
    expect(decades(1, 100).map((d) => d.value)).toEqual([1, 2, 5, 10, 20, 50, 100]);
    expect(shortCount(20000)).toBe('20k');
    expect(seriesPath([{ x: 1, y: 2 }, { x: 3, y: 4 }])).toBe('M 1.0 2.0 L 3.0 4.0');
  });
});
