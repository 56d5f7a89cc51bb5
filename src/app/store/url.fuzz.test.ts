import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clipLongValues } from '../Notices/clip.ts';
import { parseShare, shareSearch } from './url.ts';

/**
 * Share links as anyone can craft them: known and unknown parameters with hostile values (huge,
 * control characters, `__proto__`, broken percent-encoding). The link is read without a throw,
 * every problem is a sentence, and what the notice shows stays short.
 */
export const URL_RUNS = 500;
const DEFAULTS = {
  scenario: { preset: 'seed', modes: {}, seed: 1, before: [] },
  flow: { from: 'nginx-test-7646687cc4-n8s9s', to: '10.43.6.58:80', proto: 'tcp' as const, kind: 'connect' as const },
};
const key = fc.constantFrom('cluster', 'preset', 'proxy', 'backend', 'scheduler', 'seed', 'from', 'to', 'proto', 'kind', 'step', 'edit', 'view', 'compare', 'speed', '__proto__', 'constructor', 'x');
const value = fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('', '%', '%zz', '-1', '1e309', '9'.repeat(400), 'a'.repeat(200_000), '__proto__', '\u001b[2J', 'ipvs', 'host-gw', 'master: ip route del 10.42.1.0/24', 'compare'));

describe('fuzz: share links', () => {
  it(`${URL_RUNS} hostile share links: read without a throw, problems as short sentences`, () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(key, value, fc.boolean()), { maxLength: 6 }), (pairs) => {
        const search = '?' + pairs.map(([k, v, raw]) => `${k}=${raw ? v : encodeURIComponent(v)}`).join('&');
        const p = parseShare(search, DEFAULTS);
        for (const problem of p.problems) {
          expect(typeof problem).toBe('string');
          expect(clipLongValues(problem).length).toBeLessThan(600);
        }
        expect(typeof shareSearch({ scenario: p.scenario, flow: p.flow, cursor: p.cursor, view: p.view, compareAxis: p.compareAxis })).toBe('string');
      }),
      { numRuns: URL_RUNS, seed: 13 },
    );
  });
});
