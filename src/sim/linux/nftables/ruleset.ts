import { NftError } from './lexer.ts';
import { elementKey } from './datatypes.ts';
import type { NftChain, NftElement, NftFamily, NftHook, NftRule, NftSet, NftStmt, NftTable, NftVerdict } from './types.ts';

/** errno texts as nft prints them after "Could not process rule: " (strerror). */
export const ENOENT = 'No such file or directory';
export const EEXIST = 'File exists';
export const EBUSY = 'Device or resource busy';
export const ELOOP = 'Too many levels of symbolic links';
export const EOPNOTSUPP = 'Operation not supported';

/**
 * One string object per chain name: a name parsed from a jump, a goto or a map element is the
 * very string the chain is keyed by, so the loop check's and the rule checks' look-ups of tens
 * of thousands of targets compare pointers, not characters. Bounded: forgetting only costs speed.
 */
const chainNames = new Map<string, string>();
const MAX_CHAIN_NAMES = 500_000;

export function chainName(name: string): string {
  const known = chainNames.get(name);
  if (known !== undefined) return known;
  if (chainNames.size >= MAX_CHAIN_NAMES) chainNames.clear();
  chainNames.set(name, name);
  return name;
}

/** Where in the input a change came from, so the kernel's refusal can point at it. */
export interface At {
  readonly start: number;
  readonly end: number;
}

const kernel = (errno: string, at: At): NftError => new NftError(`Could not process rule: ${errno}`, at.start, at.end);

/**
 * One network namespace's nf_tables (struct nftables_pernet): its tables in creation order, the
 * handle counter for tables, and the order base chains registered their hooks in. Changes go
 * through a transaction (NftTx), all or nothing, as an `nft -f` batch does.
 */
export class NftRuleset {
  readonly tables: NftTable[] = [];
  /** net->nft.table_handle */
  tableHandles = 0;
  /** hook registrations so far: among base chains of equal priority the newer runs first */
  registrations = 0;
  /** bumped by every committed transaction; the packet path caches per-hook chain lists on it */
  generation = 0;

  table(family: NftFamily, name: string): NftTable | undefined {
    return this.tables.find((t) => t.family === family && t.name === name);
  }

  private hooked?: { readonly generation: number; readonly byHook: Map<NftHook, { readonly table: NftTable; readonly chain: NftChain }[]> };

  /**
   * Base chains registered at `hook` for IPv4 packets (families ip and inet), with their tables:
   * the hook's entry list, rebuilt only after a commit (a node holds tens of thousands of chains
   * and every packet asks at every hook).
   */
  baseChains(hook: NftHook): readonly { readonly table: NftTable; readonly chain: NftChain }[] {
    if (this.hooked?.generation !== this.generation) {
      const byHook = new Map<NftHook, { table: NftTable; chain: NftChain }[]>();
      for (const table of this.tables) {
        if (table.family !== 'ip' && table.family !== 'inet') continue;
        for (const chain of table.chains.values()) {
          if (!chain.base) continue;
          const list = byHook.get(chain.base.hook);
          if (list) list.push({ table, chain });
          else byHook.set(chain.base.hook, [{ table, chain }]);
        }
      }
      this.hooked = { generation: this.generation, byHook };
    }
    return this.hooked.byHook.get(hook) ?? [];
  }

  get empty(): boolean {
    return this.tables.length === 0;
  }
}

/**
 * A batch of changes (nf_tables_commit / __nf_tables_abort): every change records how to undo
 * itself, so a batch that fails anywhere — while parsing or when the kernel validates it at
 * commit — leaves the ruleset exactly as it was.
 */
export class NftTx {
  private readonly undo: (() => void)[] = [];
  private touched = false;
  /** tables this batch created: an abort drops them whole, so changes inside need no undo */
  private readonly fresh = new Set<NftTable>();
  /**
   * tables this batch gave a jump, goto or verdict-map element (the kernel's validate_state
   * NFT_VALIDATE_NEED): only these can have closed a loop, the others were loop-free before it
   */
  private readonly edged = new Set<NftTable>();
  /** tables whose chain order this batch saved for an abort (once, before its first deletion) */
  private readonly chainsSaved = new Set<NftTable>();

  constructor(
    readonly rs: NftRuleset,
    /** now, simulated µs: elements added with a timeout expire from here */
    readonly nowUs = 0,
  ) {}

  private did(u: () => void): void {
    this.undo.push(u);
    this.touched = true;
  }

  /**
   * Whether a change to `table` must record its undo (the table existed before this batch); a
   * first sync fills a table it just created with hundreds of thousands of objects.
   */
  private undoable(table: NftTable): boolean {
    this.touched = true;
    return !this.fresh.has(table);
  }

  abort(): void {
    for (let i = this.undo.length - 1; i >= 0; i--) this.undo[i]!();
    this.undo.length = 0;
  }

  /** nft_table_validate: no chain may reach itself (checked in the tables this batch gave new edges). */
  validate(at: At): void {
    for (const table of this.rs.tables) if (this.edged.has(table)) checkLoops(table, at);
  }

  /** nf_tables_commit: validate, then make the batch visible. */
  commit(at: At): void {
    this.validate(at);
    if (this.touched) this.rs.generation++;
    this.undo.length = 0;
  }

  requireTable(family: NftFamily, name: string, at: At): NftTable {
    const t = this.rs.table(family, name);
    if (!t) throw new NftError(ENOENT, at.start, at.end);
    return t;
  }

  requireChain(table: NftTable, name: string, at: At): NftChain {
    const c = table.chains.get(name);
    if (!c) throw new NftError(ENOENT, at.start, at.end);
    return c;
  }

  requireSet(table: NftTable, name: string, at: At): NftSet {
    const s = table.sets.get(name);
    if (!s || s.anonymous) throw new NftError(ENOENT, at.start, at.end);
    return s;
  }

  addTable(family: NftFamily, name: string, o: { comment?: string; create?: boolean }, at: At): NftTable {
    const existing = this.rs.table(family, name);
    if (existing) {
      if (o.create) throw kernel(EEXIST, at);
      return existing;
    }
    const table: NftTable = { family, name, handle: ++this.rs.tableHandles, comment: o.comment, chains: new Map(), sets: new Map(), nextHandle: 1 };
    this.rs.tables.push(table);
    this.fresh.add(table);
    this.did(() => {
      this.rs.tables.splice(this.rs.tables.indexOf(table), 1);
      this.rs.tableHandles--;
    });
    return table;
  }

  deleteTable(table: NftTable): void {
    const i = this.rs.tables.indexOf(table);
    this.rs.tables.splice(i, 1);
    this.did(() => this.rs.tables.splice(i, 0, table));
  }

  addChain(table: NftTable, given: string, o: { base?: NftChain['base']; comment?: string; create?: boolean }, at: At): NftChain {
    const name = chainName(given);
    const existing = table.chains.get(name);
    if (existing) {
      if (o.create) throw kernel(EEXIST, at);
      if (o.base) {
        const b = existing.base;
        // the hook and priority of a registered chain cannot change; its policy can
        if (!b || b.type !== o.base.type || b.hook !== o.base.hook || b.priority !== o.base.priority) throw kernel(b ? EBUSY : EOPNOTSUPP, at);
        const before = b.policy;
        b.policy = o.base.policy;
        if (this.undoable(table)) this.did(() => (b.policy = before));
      }
      return existing;
    }
    const chain: NftChain = {
      name,
      handle: this.allocHandle(table),
      base: o.base ? { ...o.base } : undefined,
      comment: o.comment,
      rules: [],
      registered: o.base ? ++this.rs.registrations : 0,
    };
    table.chains.set(name, chain);
    if (this.undoable(table)) {
      this.did(() => {
        table.chains.delete(name);
        table.nextHandle--;
        if (o.base) this.rs.registrations--;
      });
    }
    return chain;
  }

  deleteChain(table: NftTable, chain: NftChain, at: At): void {
    // nothing can jump to a base chain (nft_verdict_init refuses it), so only a regular one is in use
    if (!chain.base && chainReferences(table, chain.name) > 0) throw kernel(EBUSY, at);
    this.flushChain(table, chain);
    if (this.undoable(table) && !this.chainsSaved.has(table)) {
      // the chains in their order before this batch's first deletion: an abort restores them last
      this.chainsSaved.add(table);
      const entries = [...table.chains];
      this.did(() => restoreMap(table.chains, entries));
    }
    table.chains.delete(chain.name);
  }

  flushChain(table: NftTable, chain: NftChain): void {
    if (chain.rules.length === 0) return;
    const rules = chain.rules;
    chain.rules = [];
    const anon: NftSet[] = [];
    for (const r of rules) {
      for (const name of anonymousSetsOf(r)) {
        const s = table.sets.get(name);
        if (s) anon.push(s);
      }
    }
    for (const s of anon) table.sets.delete(s.name);
    if (this.undoable(table)) {
      this.did(() => {
        chain.rules = rules;
        for (const s of anon) table.sets.set(s.name, s);
      });
    }
  }

  /** The kernel's handle for a new chain, set or rule of this table (nf_tables_alloc_handle). */
  allocHandle(table: NftTable): number {
    return table.nextHandle++;
  }

  /** Puts a rule into a chain: appended, first (`insert`), before/after another, or in its place. */
  addRule(table: NftTable, chain: NftChain, rule: NftRule, position: { readonly before?: NftRule; readonly after?: NftRule; readonly insert?: boolean; readonly replace?: NftRule }): void {
    const rules = chain.rules;
    if (!this.edged.has(table) && rule.stmts.some((s) => s.k === 'vmap' || (s.k === 'verdict' && (s.v.k === 'jump' || s.v.k === 'goto')))) this.edged.add(table);
    const undo = this.undoable(table);
    if (position.replace) {
      const i = rules.indexOf(position.replace);
      rules[i] = rule;
      const old = position.replace;
      if (undo) this.did(() => (rules[i] = old));
      return;
    }
    if (!position.after && !position.before && !position.insert) rules.push(rule);
    else rules.splice(position.after ? rules.indexOf(position.after) + 1 : position.before ? rules.indexOf(position.before) : 0, 0, rule);
    if (undo) {
      this.did(() => {
        const at = chain.rules.indexOf(rule);
        if (at >= 0) chain.rules.splice(at, 1);
      });
    }
  }

  deleteRule(table: NftTable, chain: NftChain, rule: NftRule): void {
    const i = chain.rules.indexOf(rule);
    chain.rules.splice(i, 1);
    const anon = anonymousSetsOf(rule).map((n) => table.sets.get(n)).filter((s): s is NftSet => !!s);
    for (const s of anon) table.sets.delete(s.name);
    if (this.undoable(table)) {
      this.did(() => {
        chain.rules.splice(i, 0, rule);
        for (const s of anon) table.sets.set(s.name, s);
      });
    }
  }

  /** Records a handle taken by allocHandle for an anonymous set, so an abort gives it back. */
  tookHandle(table: NftTable): void {
    if (this.undoable(table)) this.did(() => table.nextHandle--);
  }

  addSet(table: NftTable, set: Omit<NftSet, 'handle'>, o: { create?: boolean }, at: At): NftSet {
    const existing = table.sets.get(set.name);
    if (existing && !existing.anonymous) {
      if (o.create) throw kernel(EEXIST, at);
      const same =
        existing.keyType.join('.') === set.keyType.join('.') &&
        existing.dataType === set.dataType &&
        [...existing.flags].sort().join(',') === [...set.flags].sort().join(',') &&
        existing.timeoutMs === set.timeoutMs;
      if (!same) throw kernel(EEXIST, at);
      return existing;
    }
    const created: NftSet = { ...set, handle: this.allocHandle(table) };
    table.sets.set(set.name, created);
    if (this.undoable(table)) {
      this.did(() => {
        table.sets.delete(set.name);
        table.nextHandle--;
      });
    }
    return created;
  }

  /** An anonymous set for a rule (`{ a, b }`, a vmap's `{ k : v }`): named `__set%d`/`__map%d` by the kernel. */
  addAnonymousSet(table: NftTable, set: Omit<NftSet, 'handle' | 'name' | 'anonymous'>): NftSet {
    // the kernel names them `__set%d`; the number is never shown, only unique
    const n = (anonymousCount.get(table) ?? 0) + 1;
    anonymousCount.set(table, n);
    const created: NftSet = {
      name: `${set.dataType ? '__map' : '__set'}${n}`,
      handle: this.allocHandle(table),
      keyType: set.keyType,
      dataType: set.dataType,
      flags: set.flags,
      timeoutMs: set.timeoutMs,
      size: set.size,
      comment: set.comment,
      anonymous: true,
      elements: set.elements,
    };
    table.sets.set(created.name, created);
    if (this.undoable(table)) {
      this.did(() => {
        table.sets.delete(created.name);
        table.nextHandle--;
      });
    }
    return created;
  }

  deleteSet(table: NftTable, set: NftSet, at: At): void {
    if (setReferences(table, set.name) > 0) throw kernel(EBUSY, at);
    if (this.undoable(table)) {
      const entries = [...table.sets];
      this.did(() => restoreMap(table.sets, entries));
    }
    table.sets.delete(set.name);
  }

  flushSet(table: NftTable, set: NftSet): void {
    if (set.elements.size === 0) return;
    if (this.undoable(table)) {
      const before = [...set.elements];
      this.did(() => restoreMap(set.elements, before));
    }
    set.elements.clear();
  }

  addElement(table: NftTable, set: NftSet, e: NftElement, o: { create?: boolean }, at: At): void {
    if (e.data?.k === 'jump' || e.data?.k === 'goto') {
      const target = table.chains.get(e.data.chain);
      if (!target) throw kernel(ENOENT, at);
      // nft_verdict_init: a base chain is never a jump or goto target
      if (target.base) throw kernel(EOPNOTSUPP, at);
      this.edged.add(table);
    }
    const key = elementKey(e.key);
    const existing = set.elements.get(key);
    if (existing) {
      if (o.create || !sameVerdict(existing.data, e.data)) throw kernel(EEXIST, at);
      return;
    }
    const timeout = e.timeoutMs ?? set.timeoutMs;
    if (timeout !== undefined && set.flags.includes('timeout')) e.expiresUs = this.nowUs + timeout * 1000;
    set.elements.set(key, e);
    if (this.undoable(table)) this.did(() => set.elements.delete(key));
  }

  deleteElement(table: NftTable, set: NftSet, e: NftElement, at: At): void {
    const key = elementKey(e.key);
    const existing = set.elements.get(key);
    if (!existing) throw kernel(ENOENT, at);
    set.elements.delete(key);
    if (this.undoable(table)) this.did(() => set.elements.set(key, existing));
  }

  setComment(table: NftTable, obj: { comment?: string }, comment: string): void {
    const before = obj.comment;
    obj.comment = comment;
    if (this.undoable(table)) this.did(() => (obj.comment = before));
  }
}

/** Anonymous sets made per table so far, for their names. */
const anonymousCount = new WeakMap<NftTable, number>();

function restoreMap<K, V>(map: Map<K, V>, entries: readonly (readonly [K, V])[]): void {
  map.clear();
  for (const [k, v] of entries) map.set(k, v);
}

function sameVerdict(a: NftVerdict | undefined, b: NftVerdict | undefined): boolean {
  if (!a || !b) return a === b;
  return a.k === b.k && (a.k !== 'jump' && a.k !== 'goto' ? true : a.chain === (b as { chain: string }).chain);
}

/** The sets and maps a rule's statements use. */
export function setsOf(rule: NftRule): string[] {
  const out: string[] = [];
  for (const s of rule.stmts) {
    if (s.k === 'match' && s.right.k === 'set') out.push(s.right.name);
    else if (s.k === 'vmap') out.push(s.map);
    else if (s.k === 'set-update') out.push(s.set);
  }
  return out;
}

function anonymousSetsOf(rule: NftRule): string[] {
  return setsOf(rule).filter((n) => n.startsWith('__'));
}

/** How many rules and map elements pass packets to `name` (nft_chain use count). */
export function chainReferences(table: NftTable, name: string): number {
  let n = 0;
  for (const chain of table.chains.values()) {
    for (const rule of chain.rules) {
      for (const s of rule.stmts) if (s.k === 'verdict' && (s.v.k === 'jump' || s.v.k === 'goto') && s.v.chain === name) n++;
    }
  }
  for (const set of table.sets.values()) {
    if (set.dataType !== 'verdict') continue;
    for (const e of set.elements.values()) if ((e.data?.k === 'jump' || e.data?.k === 'goto') && e.data.chain === name) n++;
  }
  return n;
}

export function setReferences(table: NftTable, name: string): number {
  let n = 0;
  for (const chain of table.chains.values()) for (const rule of chain.rules) n += setsOf(rule).filter((s) => s === name).length;
  return n;
}

/** Walks of checkLoops so far: a chain's `walk` mark is current when it equals 2·walk (+1 when done). */
let walks = 0;

/** One chain on the depth-first path: the chains it passes packets to, and how many were followed. */
interface Frame {
  chain: NftChain;
  targets: NftChain[];
  next: number;
}

/**
 * The chains `chain` passes packets to (its jumps, gotos and verdict-map targets), resolved, into
 * `out`. Written as plain loops: the loop check runs it once per chain on every commit.
 */
function pushTargets(table: NftTable, chain: NftChain, out: NftChain[]): void {
  const rules = chain.rules;
  for (let r = 0; r < rules.length; r++) {
    const stmts = rules[r]!.stmts;
    for (let i = 0; i < stmts.length; i++) {
      const s = stmts[i]!;
      if (s.k === 'verdict') {
        if (s.v.k === 'jump' || s.v.k === 'goto') {
          const c = table.chains.get(s.v.chain);
          if (c) out.push(c);
        }
      } else if (s.k === 'vmap') {
        const map = table.sets.get(s.map);
        if (!map) continue;
        for (const e of map.elements.values()) {
          const d = e.data;
          if (d && (d.k === 'jump' || d.k === 'goto')) {
            const c = table.chains.get(d.chain);
            if (c) out.push(c);
          }
        }
      }
    }
  }
}

/**
 * nft_table_validate / nf_tables_check_loops: a chain that can reach itself through jumps, gotos
 * or verdict-map elements is refused (ELOOP). One depth-first pass over the whole table, the
 * visit state kept on the chains themselves (a node holds tens of thousands of them), the frames
 * of the path reused from one chain to the next.
 */
function checkLoops(table: NftTable, at: At): void {
  const onPath = (walks += 2);
  const done = onPath + 1;
  const frames: Frame[] = [];
  let depth = 0;
  const enter = (chain: NftChain): void => {
    chain.walk = onPath;
    let f = frames[depth];
    if (!f) frames.push((f = { chain, targets: [], next: 0 }));
    else {
      f.chain = chain;
      f.targets.length = 0;
      f.next = 0;
    }
    pushTargets(table, chain, f.targets);
    depth++;
  };
  for (const start of table.chains.values()) {
    if (start.walk === onPath || start.walk === done) continue;
    enter(start);
    while (depth > 0) {
      const top = frames[depth - 1]!;
      if (top.next >= top.targets.length) {
        top.chain.walk = done;
        depth--;
        continue;
      }
      const next = top.targets[top.next++]!;
      if (next.walk === done) continue;
      if (next.walk === onPath) throw kernel(ELOOP, at);
      enter(next);
    }
  }
}

/** The statements that end a rule's evaluation (their verdict or NAT decision). */
export function isTerminal(s: NftStmt): boolean {
  return s.k === 'verdict' || s.k === 'vmap' || s.k === 'reject' || s.k === 'nat' || s.k === 'masquerade';
}
