import { describe, expect, it } from 'vitest';
import { basicToRe2, runFilter } from './grep.ts';

const TEXT = ['Chain KUBE-SERVICES (2 references)', ' pkts bytes target', '    0     0 KUBE-SVC-7CWUT4JBGBRVUN2L  tcp', '    0     0 KUBE-MARK-MASQ  all', 'Chain KUBE-SVC-7CWUT4JBGBRVUN2L (1 references)', ' pkts bytes target', 'x(y){2}b'].join('\n') + '\n';

function out(...argv: string[]): string {
  const r = runFilter(TEXT, argv);
  if (!r.ok) throw new Error(r.error);
  return r.output;
}

describe('grep in a pipe', () => {
  it('prints a match and its -A lines once, overlapping contexts merged', () => {
    expect(out('grep', 'KUBE-SVC-7CWUT4JBGBRVUN2L', '-A', '1')).toBe(['    0     0 KUBE-SVC-7CWUT4JBGBRVUN2L  tcp', '    0     0 KUBE-MARK-MASQ  all', 'Chain KUBE-SVC-7CWUT4JBGBRVUN2L (1 references)', ' pkts bytes target'].join('\n') + '\n');
    expect(out('grep', '-B1', 'MARK-MASQ')).toBe('    0     0 KUBE-SVC-7CWUT4JBGBRVUN2L  tcp\n    0     0 KUBE-MARK-MASQ  all\n');
  });

  it('reads a pattern in basic syntax by default: ( ) { } are literal, \\( \\) group', () => {
    expect(out('grep', 'x(y){2}b')).toBe('x(y){2}b\n');
    expect(out('grep', '-E', 'x(y){2}b')).toBe('');
    expect(basicToRe2('\\(KUBE\\)-[(]x')).toBe('(KUBE)-[(]x');
  });

  it("refuses a negative or non-numeric context length with GNU grep's words", () => {
    expect(runFilter(TEXT, ['grep', '-A', '-5', 'KUBE'])).toEqual({ ok: false, error: 'grep: -5: invalid context length argument' });
    expect(runFilter(TEXT, ['grep', '-B', 'abc', 'KUBE'])).toEqual({ ok: false, error: 'grep: abc: invalid context length argument' });
  });

  it('answers (.*){1,32000}[bc] at once instead of backtracking: RE2 refuses the repeat count', () => {
    const r = runFilter(TEXT, ['grep', '-E', '(.*){1,32000}[bc]']);
    expect(r).toEqual({ ok: false, error: 'grep: invalid repeat count: `{1,32000}`' });
    // in basic syntax the same characters are literals and simply do not match
    expect(out('grep', '(.*){1,32000}[bc]')).toBe('');
  });

  it('refuses a pattern whose automaton times the input would run for seconds, saying why', () => {
    const big = 'x'.repeat(200_000) + '\n';
    const r = runFilter(big.repeat(20), ['grep', '-E', '(.*){1,1000}[bc]']);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(/^grep: pattern too complex for 4,000,020 bytes of input/);
  });

  it('head takes N or all but the last K lines, and refuses a count that is not a number', () => {
    expect(runFilter(TEXT, ['head', '-n', 'x3'])).toEqual({ ok: false, error: 'head: invalid number of lines: ‘x3’' });
    expect(out('head', '-n', '-6')).toBe('Chain KUBE-SERVICES (2 references)\n');
    expect(runFilter(TEXT, ['head', '-2'])).toEqual({ ok: true, output: 'Chain KUBE-SERVICES (2 references)\n pkts bytes target\n' });
  });
});
