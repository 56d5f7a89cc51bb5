import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node as YamlNode } from 'yaml';
import { isObj, type Obj } from '../reader.ts';
import { Lines, locateJson, pathSegments, skipJsonValue } from './locate.ts';

/**
 * Turns what a user pastes into Kubernetes objects, whatever kubectl wrote it as: `-o json` (a
 * `kind: List`, or several files' worth concatenated), `-o yaml` (a List, or multi-document
 * with `---`, or files concatenated without it), lists inside lists. Every object keeps where
 * it was written so a problem can name the line.
 */

/** The largest cluster file read, in characters: ~3× the 100-node, 3,000-pod dump with managedFields. */
export const MAX_CLUSTER_CHARS = 50 * 1024 * 1024;
/** Lists nested deeper than this are not what kubectl prints. */
const MAX_LIST_DEPTH = 4;

/** Where an object was written, and how to find the line of one of its fields. */
export interface SourceRef {
  /** 1-based line of the object's first field */
  readonly line: number;
  /** the line of a field (`spec.ports[0].port`); the deepest part of the path that exists */
  lineOf(path: string): number;
}

export interface SourceObject {
  readonly obj: Obj;
  readonly src: SourceRef;
  /** its place in the file, for messages about an item that is not even an object: `items[3]` */
  readonly label: string;
}

export interface DecodeProblem {
  readonly message: string;
  readonly line?: number;
  /** the item, when one item is at fault */
  readonly label?: string;
}

export type Decoded = { ok: true; objects: SourceObject[]; notes: string[] } | { ok: false; problems: DecodeProblem[] };

export function decodeObjects(text: string): Decoded {
  if (text.length > MAX_CLUSTER_CHARS) {
    return { ok: false, problems: [{ message: `is ${(text.length / 1048576).toFixed(1)} MB; the limit is ${MAX_CLUSTER_CHARS / 1048576} MB` }] };
  }
  const body = text.replace(/^\uFEFF/, '');
  if (body.trim() === '') return { ok: false, problems: [{ message: 'is empty: expected what `kubectl get … -o yaml` or `-o json` prints' }] };
  const first = body.trimStart()[0];
  return first === '{' || first === '[' ? decodeJson(body) : decodeYaml(body);
}

/** A SourceRef whose line is looked up on first read. */
function lazyRef(line: () => number, lineOf: (field: string) => number): SourceRef {
  let cached: number | undefined;
  return {
    get line() {
      return (cached ??= line());
    },
    lineOf,
  };
}

// ---- JSON ----------------------------------------------------------------------------------

function decodeJson(text: string): Decoded {
  const lines = new Lines(text);
  const values: { value: unknown; start: number }[] = [];
  try {
    values.push({ value: JSON.parse(text), start: 0 });
  } catch (whole) {
    // `cat a.json b.json`: several top-level values one after another
    const parts = splitJson(text);
    if (parts.length < 2) return { ok: false, problems: [jsonError(whole, text, lines, 0)] };
    for (const [start, end] of parts) {
      try {
        values.push({ value: JSON.parse(text.slice(start, end)), start });
      } catch (e) {
        return { ok: false, problems: [jsonError(e, text, lines, start)] };
      }
    }
  }
  const objects: SourceObject[] = [];
  const problems: DecodeProblem[] = [];
  for (const { value, start } of values) {
    // positions are found only when a problem asks (a scan per object would be quadratic)
    const src = (path: readonly (string | number)[]): SourceRef =>
      lazyRef(
        () => lines.lineAt(locateJson(text, start, path)),
        (field) => lines.lineAt(locateJson(text, start, [...path, ...pathSegments(field)])),
      );
    flatten(value, [], 0, src, objects, problems);
  }
  const notes = values.length > 1 ? [`read ${values.length} JSON documents written one after another`] : [];
  return problems.length > 0 ? { ok: false, problems } : { ok: true, objects, notes };
}

/** [start, end) of each top-level JSON value, or [] when the text is not a run of them. */
function splitJson(text: string): [number, number][] {
  const out: [number, number][] = [];
  let i = 0;
  for (;;) {
    while (i < text.length && /\s/.test(text[i]!)) i++;
    if (i >= text.length) return out;
    if (text[i] !== '{' && text[i] !== '[') return [];
    const end = skipJsonValue(text, i);
    out.push([i, end]);
    i = end;
  }
}

/** V8 says `… at position 123` (Node) or `… (line 5 column 3)` (newer Chromium). */
function jsonError(e: unknown, text: string, lines: Lines, base: number): DecodeProblem {
  const raw = e instanceof Error ? e.message : String(e);
  if (e instanceof RangeError) return { message: `is not valid JSON: nested too deeply to read (${raw})` };
  const pos = /position (\d+)/.exec(raw);
  const lc = /line (\d+) column (\d+)/.exec(raw);
  const line = pos ? lines.lineAt(base + Number(pos[1])) : lc ? lines.lineAt(base) + Number(lc[1]) - 1 : offsetLine(lines.lineAt(base), yamlErrorLine(text.slice(base)));
  const why = raw.replace(/^JSON\.parse: /, '').replace(/\s*(in JSON )?at position \d+.*$/, '').replace(/\s*\(line \d+ column \d+\)$/, '');
  return { message: `is not valid JSON: ${short(why)}`, ...(line !== undefined ? { line } : {}) };
}

/**
 * Where JSON went wrong when V8's message does not say (`Unexpected token '}', …`): YAML reads
 * JSON, and its parser reports a position. Only for texts small enough to parse twice quickly.
 */
const offsetLine = (first: number, line: number | undefined) => (line === undefined ? undefined : first + line - 1);

function yamlErrorLine(text: string): number | undefined {
  if (text.length > 2_000_000) return undefined;
  const lc = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lc, prettyErrors: false });
  const err = (Array.isArray(docs) ? docs : []).flatMap((d) => d.errors)[0];
  return err ? lc.linePos(err.pos[0]).line : undefined;
}

// ---- YAML ----------------------------------------------------------------------------------

function decodeYaml(text: string): Decoded {
  const notes: string[] = [];
  let docs = parseYamlDocs([{ text, firstLine: 1 }]);
  // `cat a.yaml b.yaml` without `---`: the second object's keys repeat the first's at column 0
  if (docs.some((d) => d.doc.errors.some((e) => e.code === 'DUPLICATE_KEY'))) {
    const split = parseYamlDocs(splitAtApiVersion(text));
    if (split.length > 1 && split.every((d) => d.doc.errors.length === 0)) {
      docs = split;
      notes.push('objects written one after another without `---` were read as separate documents (split at each top-level apiVersion:)');
    }
  }
  const problems: DecodeProblem[] = [];
  for (const { doc, lineAt } of docs) {
    for (const e of doc.errors) problems.push({ message: `is not valid YAML: ${short(e.message.split('\n')[0]!)}`, line: lineAt(e.pos[0]) });
  }
  if (problems.length > 0) return { ok: false, problems: problems.slice(0, 20) };
  const objects: SourceObject[] = [];
  for (const { doc, lineAt } of docs) {
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (e) {
      return { ok: false, problems: [{ message: `is not valid YAML: ${short((e as Error).message)}`, line: lineAt(doc.range[0]) }] };
    }
    if (value === null || value === undefined) continue; // an empty document (a trailing ---)
    const src = (path: readonly (string | number)[]): SourceRef =>
      lazyRef(
        () => lineAt(yamlOffset(doc, path)),
        (field) => lineAt(yamlOffset(doc, [...path, ...pathSegments(field)])),
      );
    flatten(value, [], 0, src, objects, problems);
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, objects, notes };
}

interface YamlDoc {
  readonly doc: Document.Parsed;
  /** the user's line of an offset in this document's chunk */
  readonly lineAt: (offset: number) => number;
}

function parseYamlDocs(chunks: readonly { text: string; firstLine: number }[]): YamlDoc[] {
  const out: YamlDoc[] = [];
  for (const c of chunks) {
    const lc = new LineCounter();
    const parsed = parseAllDocuments(c.text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
    const lineAt = (offset: number) => c.firstLine - 1 + lc.linePos(offset).line;
    for (const doc of Array.isArray(parsed) ? parsed : []) out.push({ doc, lineAt });
  }
  return out;
}

/** The text cut before every line that starts with `apiVersion:`, each piece with its first line. */
function splitAtApiVersion(text: string): { text: string; firstLine: number }[] {
  const lines = text.split('\n');
  const out: { text: string; firstLine: number }[] = [];
  let from = 0;
  lines.forEach((l, i) => {
    if (i > from && l.startsWith('apiVersion:')) {
      out.push({ text: lines.slice(from, i).join('\n'), firstLine: from + 1 });
      from = i;
    }
  });
  out.push({ text: lines.slice(from).join('\n'), firstLine: from + 1 });
  return out;
}

/** The offset of a path in a YAML document: the deepest key found, or a list item's start. */
function yamlOffset(d: Document.Parsed, path: readonly (string | number)[]): number {
  let node: unknown = d.contents;
  let found = (node as YamlNode | null)?.range?.[0] ?? d.range[0];
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) return found;
      found = (pair.key as YamlNode).range?.[0] ?? found;
      node = pair.value;
    } else if (isSeq(node)) {
      const item = node.items[Number(seg)];
      if (!item) return found;
      found = (item as YamlNode).range?.[0] ?? found;
      node = item;
    } else return found;
  }
  return found;
}

// ---- both ----------------------------------------------------------------------------------

/** A `kind: List` (or PodList, …) gives its items; anything else is one object. */
function flatten(
  value: unknown,
  path: (string | number)[],
  depth: number,
  src: (path: readonly (string | number)[]) => SourceRef,
  out: SourceObject[],
  problems: DecodeProblem[],
): void {
  const label = path.length === 0 ? 'document' : path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
  if (Array.isArray(value)) {
    value.forEach((v, i) => flatten(v, [...path, i], depth + 1, src, out, problems));
    return;
  }
  if (!isObj(value)) {
    problems.push({ message: `must be a Kubernetes object (apiVersion, kind, metadata…), got ${describe(value)}`, line: src(path).line, label });
    return;
  }
  const kind = value.kind;
  if (typeof kind === 'string' && /List$/.test(kind) && 'items' in value) {
    if (depth >= MAX_LIST_DEPTH) {
      problems.push({ message: `Lists are nested more than ${MAX_LIST_DEPTH} deep`, line: src(path).line, label });
      return;
    }
    if (!Array.isArray(value.items)) {
      problems.push({ message: `.items must be a list, got ${describe(value.items)}`, line: src([...path, 'items']).line, label });
      return;
    }
    value.items.forEach((v, i) => flatten(v, [...path, 'items', i], depth + 1, src, out, problems));
    return;
  }
  out.push({ obj: value, src: src(path), label });
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return `the string ${JSON.stringify(short(v, 40))}`;
  return `${typeof v} ${short(String(v), 40)}`;
}

/** Long values are cut in messages: a 2 MB line helps no one. */
export function short(s: string, max = 200): string {
  return s.length > max ? `${s.slice(0, max)}… (${s.length} characters)` : s;
}
