/**
 * The nft scanner's job (src/scanner.l), reduced to what the parser needs: words, quoted strings,
 * the punctuation `{ } ; , :` and newlines, `#` comments skipped, a backslash-newline joining
 * lines. Tokens carry their offsets so an error can point at them the way nft does
 * (`file:line:col-col: Error: …`, the line, then carets).
 */

export type TokenKind = 'word' | 'str' | 'punct' | 'nl' | 'eof';

export interface Token {
  readonly kind: TokenKind;
  /** the text (a string's value without its quotes) */
  readonly t: string;
  readonly start: number;
  readonly end: number;
}

/** A syntax or semantic error at a place in the input, as nft reports it. */
export class NftError extends Error {
  constructor(
    message: string,
    readonly start: number,
    readonly end: number,
  ) {
    super(message);
  }
}

const SPACE = 1;
const PUNCT = 2;
const CLASS = new Uint8Array(128);
for (const c of ' \t\r') CLASS[c.charCodeAt(0)] = SPACE;
for (const c of '{};,') CLASS[c.charCodeAt(0)] = PUNCT;

export class Lexer {
  private peeked?: Token;

  /** Scans `text` from `pos` up to `limit` (a sub-range keeps offsets absolute for errors). */
  constructor(
    readonly text: string,
    private pos = 0,
    private readonly limit = text.length,
  ) {}

  /** Continues scanning at `pos` (after a caller read a line's head itself). */
  seek(pos: number): void {
    this.pos = pos;
    this.peeked = undefined;
  }

  /** Where the next token starts (after whitespace), for recording a range to parse later. */
  get offset(): number {
    return this.peek().start;
  }

  peek(): Token {
    return (this.peeked ??= this.scan());
  }

  next(): Token {
    const t = this.peek();
    this.peeked = undefined;
    return t;
  }

  /** The next token if it is the word `w` (consumed), else undefined. */
  accept(w: string): Token | undefined {
    const t = this.peek();
    if (t.kind === 'word' && t.t === w) return this.next();
    return undefined;
  }

  acceptPunct(p: string): boolean {
    const t = this.peek();
    if (t.kind === 'punct' && t.t === p) {
      this.next();
      return true;
    }
    return false;
  }

  expectPunct(p: string): Token {
    const t = this.next();
    if (t.kind !== 'punct' || t.t !== p) throw new NftError(`syntax error, unexpected ${describe(t)}, expecting '${p}'`, t.start, t.end);
    return t;
  }

  /** A word (or, where a name may be quoted, a string). */
  word(what: string): Token {
    const t = this.next();
    if (t.kind !== 'word' && t.kind !== 'str') throw new NftError(`syntax error, unexpected ${describe(t)}, expecting ${what}`, t.start, t.end);
    return t;
  }

  skipNewlines(): void {
    for (let t = this.peek(); t.kind === 'nl' || (t.kind === 'punct' && t.t === ';'); t = this.peek()) this.next();
  }

  private scan(): Token {
    const s = this.text;
    const limit = this.limit;
    let i = this.pos;
    for (;;) {
      const c = s.charCodeAt(i);
      if (c < 128 && CLASS[c] === SPACE) i++;
      else if (c === 92 /* \ */ && s.charCodeAt(i + 1) === 10) i += 2;
      else if (c === 35 /* # */) {
        while (i < limit && s.charCodeAt(i) !== 10) i++;
      } else break;
    }
    if (i >= limit) {
      this.pos = i;
      return { kind: 'eof', t: '', start: i, end: i };
    }
    const c = s.charCodeAt(i);
    if (c === 10) {
      this.pos = i + 1;
      return { kind: 'nl', t: '\n', start: i, end: i + 1 };
    }
    if (c < 128 && CLASS[c] === PUNCT) {
      this.pos = i + 1;
      return { kind: 'punct', t: s[i]!, start: i, end: i + 1 };
    }
    if (c === 34 /* " */) {
      const close = s.indexOf('"', i + 1);
      const nl = s.indexOf('\n', i + 1);
      if (close < 0 || close >= limit || (nl >= 0 && nl < close)) throw new NftError('unterminated string', i, nl < 0 ? limit : nl);
      this.pos = close + 1;
      return { kind: 'str', t: s.slice(i + 1, close), start: i, end: close + 1 };
    }
    let j = i;
    while (j < limit) {
      const d = s.charCodeAt(j);
      if (d === 10 || d === 34 || d === 35 || (d < 128 && CLASS[d] !== 0)) break;
      j++;
    }
    this.pos = j;
    return { kind: 'word', t: s.slice(i, j), start: i, end: j };
  }
}

export function describe(t: Token): string {
  if (t.kind === 'eof') return 'end of file';
  if (t.kind === 'nl') return 'newline';
  if (t.kind === 'str') return `quoted string`;
  return `'${t.t}'`;
}

/**
 * nft's error report: `name:line:col-col: Error: message`, the offending line, carets under the
 * offending part. On the command line nft prints no location prefix, just the message, the
 * command and the carets.
 */
export function formatNftError(text: string, e: NftError, file?: string): string {
  const lineStart = text.lastIndexOf('\n', e.start - 1) + 1;
  let lineEnd = text.indexOf('\n', e.start);
  if (lineEnd < 0) lineEnd = text.length;
  const line = text.slice(lineStart, lineEnd);
  const from = e.start - lineStart;
  const to = Math.max(from + 1, Math.min(e.end, lineEnd) - lineStart);
  const carets = `${' '.repeat(from)}${'^'.repeat(to - from)}`;
  if (file === undefined) return `Error: ${e.message}\n${line}\n${carets}\n`;
  const lineNo = text.slice(0, lineStart).split('\n').length;
  return `${file}:${lineNo}:${from + 1}-${to}: Error: ${e.message}\n${line}\n${carets}\n`;
}
