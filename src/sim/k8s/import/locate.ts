/**
 * Where in the text a field of a decoded object was written: the line a user looks at when a
 * problem names `Service default/web .spec.ports[0].port`. JSON is read with `JSON.parse` (fast,
 * but position-blind), so its positions are found afterwards by scanning the text — only when a
 * problem needs one.
 */

/** Offsets of line starts, built once per text on first use; lines are 1-based. */
export class Lines {
  private starts: Int32Array | undefined;

  constructor(private readonly text: string) {}

  lineAt(offset: number): number {
    const s = (this.starts ??= lineStarts(this.text));
    let lo = 0;
    let hi = s.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (s[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }
}

function lineStarts(text: string): Int32Array {
  let n = 1;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  const out = new Int32Array(n);
  let k = 1;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) out[k++] = i + 1;
  return out;
}

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);

function skipWs(text: string, i: number): number {
  while (i < text.length && WS.has(text.charCodeAt(i))) i++;
  return i;
}

/** The end of the JSON string starting at `i` (on its opening quote). */
function skipString(text: string, i: number): number {
  for (let k = i + 1; k < text.length; k++) {
    const c = text.charCodeAt(k);
    if (c === 0x5c) k++;
    else if (c === 0x22) return k + 1;
  }
  return text.length;
}

/** The end of the JSON value starting at `i` (no recursion: a hostile depth cannot overflow). */
export function skipJsonValue(text: string, i: number): number {
  i = skipWs(text, i);
  const c = text.charCodeAt(i);
  if (c === 0x22) return skipString(text, i);
  if (c !== 0x7b && c !== 0x5b) {
    while (i < text.length && !/[\s,\]}]/.test(text[i]!)) i++;
    return i;
  }
  let depth = 0;
  for (; i < text.length; i++) {
    const d = text.charCodeAt(i);
    if (d === 0x22) i = skipString(text, i) - 1;
    else if (d === 0x7b || d === 0x5b) depth++;
    else if (d === 0x7d || d === 0x5d) {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return text.length;
}

/**
 * The offset of `path` inside the JSON value at `start`: the key of the deepest field that
 * exists (a missing field points at its parent), or an array element's first character.
 */
export function locateJson(text: string, start: number, path: readonly (string | number)[]): number {
  let i = skipWs(text, start);
  let found = i;
  for (const seg of path) {
    const c = text.charCodeAt(i);
    if (c === 0x7b) {
      const at = findKey(text, i, String(seg));
      if (at === undefined) return found;
      found = at.key;
      i = at.value;
    } else if (c === 0x5b && Number.isInteger(Number(seg))) {
      const at = findIndex(text, i, Number(seg));
      if (at === undefined) return found;
      found = at;
      i = at;
    } else return found;
  }
  return found;
}

function findKey(text: string, open: number, key: string): { key: number; value: number } | undefined {
  let i = skipWs(text, open + 1);
  while (i < text.length && text.charCodeAt(i) === 0x22) {
    const end = skipString(text, i);
    const name = decodeKey(text.slice(i, end));
    const colon = skipWs(text, end);
    const value = skipWs(text, colon + 1);
    if (name === key) return { key: i, value };
    i = skipWs(text, skipJsonValue(text, value));
    if (text.charCodeAt(i) !== 0x2c) return undefined;
    i = skipWs(text, i + 1);
  }
  return undefined;
}

function decodeKey(quoted: string): string {
  if (!quoted.includes('\\')) return quoted.slice(1, -1);
  try {
    return JSON.parse(quoted) as string;
  } catch {
    return quoted.slice(1, -1);
  }
}

function findIndex(text: string, open: number, index: number): number | undefined {
  let i = skipWs(text, open + 1);
  for (let k = 0; i < text.length && text.charCodeAt(i) !== 0x5d; k++) {
    if (k === index) return i;
    i = skipWs(text, skipJsonValue(text, i));
    if (text.charCodeAt(i) !== 0x2c) return undefined;
    i = skipWs(text, i + 1);
  }
  return undefined;
}

/** Splits a field path as problems write it (`spec.ports[0].port`, `data[net-conf.json]`) into segments. */
export function pathSegments(path: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const m of path.matchAll(/\[([^\]]*)\]|([^.[\]]+)/g)) {
    const bracket = m[1];
    if (bracket !== undefined) out.push(/^\d+$/.test(bracket) ? Number(bracket) : bracket);
    else out.push(/^\d+$/.test(m[2]!) ? Number(m[2]) : m[2]!);
  }
  return out;
}
