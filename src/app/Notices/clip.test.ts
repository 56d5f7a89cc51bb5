import { describe, expect, it } from 'vitest';
import { clipLongValues } from './clip.ts';

describe('clipLongValues', () => {
  it('cuts a 2 MB share-link value to its ends and its length, keeping the sentence', () => {
    const value = `a${'x'.repeat(2 * 1024 * 1024)}z`;
    const out = clipLongValues(`URL parameter "from" is "${value}"; expected a pod, host or IP[:port].`);
    expect(out.length).toBeLessThan(250);
    expect(out).toContain('[2,097,157 characters]');
    expect(out.startsWith('URL parameter "from" is "axxx')).toBe(true);
    expect(out.endsWith('xxz"; expected a pod, host or IP[:port].')).toBe(true);
  });

  it('leaves ordinary messages alone', () => {
    const m = 'URL parameter "proxy" is "bogus"; expected iptables or ipvs.';
    expect(clipLongValues(m)).toBe(m);
  });
});
