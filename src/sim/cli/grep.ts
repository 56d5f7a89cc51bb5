import { RE2JS } from 're2js';

/**
 * The filters a terminal line may pipe through: `grep` and `head`, with GNU grep's syntax and
 * messages. Patterns run on RE2 (linear time, no backtracking), so a pattern like
 * `(.*){1,32000}[bc]` cannot hang the simulation as it hangs a backtracking engine (GNU grep -E
 * itself spends minutes compiling it).
 */
export type FilterResult = { readonly ok: true; readonly output: string } | { readonly ok: false; readonly error: string };

/**
 * RE2 matches in time proportional to (program size × input length); past this product the
 * match would take seconds, so grep refuses up front and says why instead of freezing the tab.
 */
export const GREP_WORK_BUDGET = 3e9;

export function runFilter(text: string, argv: readonly string[]): FilterResult {
  const [cmd, ...args] = argv;
  if (cmd === 'head') return head(text, args);
  if (cmd === 'grep' || cmd === 'egrep' || cmd === 'fgrep') return grep(text, cmd, args);
  return { ok: false, error: `${cmd ?? ''}: only grep and head can follow a pipe here` };
}

function lines(text: string): string[] {
  return text.replace(/\n$/, '').split('\n');
}

function joinLines(ls: readonly string[]): string {
  return ls.length ? `${ls.join('\n')}\n` : '';
}

/** `head [-n [-]N | -N]` (coreutils: `-n -K` prints all but the last K lines). */
function head(text: string, args: readonly string[]): FilterResult {
  let n = '10';
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-n') n = args[++i] ?? '';
    else if (/^-n./.test(a)) n = a.slice(2);
    else if (/^-\d+$/.test(a)) n = a.slice(1);
    else return { ok: false, error: `head: invalid option -- '${a.replace(/^-/, '').slice(0, 1)}'` };
  }
  if (!/^-?\d+$/.test(n)) return { ok: false, error: `head: invalid number of lines: ‘${n}’` };
  // `-n -K`: all but the last K lines
  const all = lines(text);
  const k = Number(n);
  return { ok: true, output: joinLines(k < 0 ? all.slice(0, Math.max(0, all.length + k)) : all.slice(0, k)) };
}

/** GNU grep's context_length_arg: a non-negative decimal; larger than any output means "all". */
function contextLength(v: string | undefined): number | string {
  if (v === undefined) return "option requires an argument -- 'A'";
  if (!/^\d+$/.test(v)) return `${v}: invalid context length argument`;
  return Math.min(Number(v), Number.MAX_SAFE_INTEGER);
}

function grep(text: string, cmd: string, args: readonly string[]): FilterResult {
  let after = 0;
  let before = 0;
  let invert = false;
  let icase = false;
  let syntax: 'basic' | 'extended' | 'fixed' = cmd === 'egrep' ? 'extended' : cmd === 'fgrep' ? 'fixed' : 'basic';
  let pattern: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const ctx = /^-([ABC])(\d*)$/.exec(a);
    if (ctx) {
      const n = contextLength(ctx[2] ? ctx[2] : args[++i]);
      if (typeof n === 'string') return { ok: false, error: `grep: ${n.replace("'A'", `'${ctx[1]}'`)}` };
      if (ctx[1] !== 'B') after = n;
      if (ctx[1] !== 'A') before = n;
    } else if (a === '-v') invert = true;
    else if (a === '-i') icase = true;
    else if (a === '-E') syntax = 'extended';
    else if (a === '-F') syntax = 'fixed';
    else if (a === '-G') syntax = 'basic';
    else if (a === '-e') {
      pattern = args[++i];
      if (pattern === undefined) return { ok: false, error: "grep: option requires an argument -- 'e'" };
    } else if (a.startsWith('-') && a !== '-') return { ok: false, error: `grep: invalid option -- '${a.slice(1, 2)}'` };
    else if (pattern === undefined) pattern = a;
    else return { ok: false, error: `grep: ${a}: No such file or directory` };
  }
  if (pattern === undefined) return { ok: false, error: 'Usage: grep [OPTION]... PATTERNS [FILE]...' };
  let re: RE2JS;
  try {
    re = RE2JS.compile(syntax === 'fixed' ? RE2JS.quote(pattern) : syntax === 'basic' ? basicToRe2(pattern) : pattern, icase ? RE2JS.CASE_INSENSITIVE : 0);
  } catch (e) {
    return { ok: false, error: `grep: ${(e as Error).message.replace(/^error parsing regexp: /, '')}` };
  }
  const work = programSize(re) * text.length;
  if (work > GREP_WORK_BUDGET) {
    return { ok: false, error: `grep: pattern too complex for ${text.length.toLocaleString('en-US')} bytes of input (a ${programSize(re).toLocaleString('en-US')}-state automaton); filter with a simpler pattern first` };
  }
  const ls = lines(text);
  const out: string[] = [];
  // one pass: print a match, the `before` lines not yet printed, and keep printing `after` lines
  let printedUpTo = -1;
  let printUntil = -1;
  for (let i = 0; i < ls.length; i++) {
    const hit = re.matcher(ls[i]!).find() !== invert;
    if (hit) {
      for (let k = Math.max(printedUpTo + 1, i - before); k < i; k++) out.push(ls[k]!);
      printUntil = Math.max(printUntil, i + after);
    }
    if (i <= printUntil && i > printedUpTo) {
      out.push(ls[i]!);
      printedUpTo = i;
    }
  }
  return { ok: true, output: joinLines(out) };
}

/** The compiled program's instruction count: what one input byte costs the matcher at worst. */
function programSize(re: RE2JS): number {
  const prog = (re as unknown as { re2Input?: { prog?: { inst?: unknown[] } } }).re2Input?.prog?.inst;
  return Array.isArray(prog) ? Math.max(prog.length, 1) : 1;
}

/**
 * POSIX basic syntax (grep without -E): `\( \) \{ \} \| \+ \?` are the operators and the bare
 * characters are literals; inside a bracket expression a backslash is an ordinary character.
 */
export function basicToRe2(p: string): string {
  let out = '';
  for (let i = 0; i < p.length; i++) {
    const ch = p[i]!;
    if (ch === '[') {
      // copy the bracket expression; `]` right after `[` or `[^` is a member
      let j = i + 1;
      if (p[j] === '^') j++;
      if (p[j] === ']') j++;
      while (j < p.length && p[j] !== ']') j++;
      if (j >= p.length) {
        out += p.slice(i); // unterminated: RE2 reports it
        break;
      }
      out += p.slice(i, j + 1).replaceAll('\\', '\\\\');
      i = j;
    } else if (ch === '\\' && i + 1 < p.length) {
      const next = p[++i]!;
      out += '(){}|+?'.includes(next) ? next : `\\${next}`;
    } else if ('(){}|+?'.includes(ch)) out += `\\${ch}`;
    else if (ch === '*' && (out === '' || out === '^')) out += '\\*'; // a leading * is literal
    else out += ch;
  }
  return out;
}
