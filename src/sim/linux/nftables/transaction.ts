import { isNftType, parseConst } from './datatypes.ts';
import { NftError } from './lexer.ts';
import { addRuleText, parseVerdictText, runNft } from './parser.ts';
import { chainName, NftTx, type NftRuleset } from './ruleset.ts';
import type { NftChain, NftChainType, NftConst, NftFamily, NftHook, NftTable, NftType, NftVerdict } from './types.ts';

/**
 * A batch of changes to one table as a program builds it with sigs.k8s.io/knftables (a
 * Transaction of Table, Chain, Set, Map, Element and Rule objects, each with a verb). `text()`
 * is what knftables hands `nft -f -` (objects.go writeOperation, byte for byte); `run` applies the
 * same objects to the model directly — a rule's body is still parsed as nft parses it — so a
 * proxier with a quarter of a million objects syncs without printing and re-reading its text.
 */
export type KnfVerb = 'add' | 'create' | 'delete' | 'flush';

export type KnfOp =
  | { readonly verb: KnfVerb; readonly obj: 'table'; readonly comment?: string }
  | {
      readonly verb: KnfVerb;
      readonly obj: 'chain';
      readonly name: string;
      readonly base?: { readonly type: NftChainType; readonly hook: NftHook; readonly priority: number };
      readonly comment?: string;
    }
  | {
      readonly verb: KnfVerb;
      readonly obj: 'set' | 'map';
      readonly name: string;
      /** `ipv4_addr . inet_proto . inet_service : verdict` */
      readonly type?: string;
      readonly flags?: readonly string[];
      readonly timeoutSec?: number;
      readonly comment?: string;
    }
  | { readonly verb: 'add' | 'delete'; readonly obj: 'element'; readonly set: string; readonly key: readonly string[]; readonly value?: string; readonly comment?: string }
  | { readonly verb: 'add'; readonly obj: 'rule'; readonly chain: string; readonly rule: string; readonly comment?: string };

/** Go `%q` for the plain ASCII strings written here. */
const q = (s: string): string => JSON.stringify(s);

export class KnfTransaction {
  readonly ops: KnfOp[] = [];

  constructor(
    readonly family: NftFamily,
    readonly table: string,
  ) {}

  add(op: KnfOp): void {
    this.ops.push(op);
  }

  /** The transaction as knftables writes it for `nft -f -`, one operation per line. */
  text(): string {
    const t = `${this.family} ${this.table}`;
    const out: string[] = [];
    for (const op of this.ops) {
      switch (op.obj) {
        case 'table':
          out.push(`${op.verb} table ${t}${op.comment !== undefined && (op.verb === 'add' || op.verb === 'create') ? ` { comment ${q(op.comment)} ; }` : ''}`);
          break;
        case 'chain': {
          let line = `${op.verb} chain ${t} ${op.name}`;
          if ((op.verb === 'add' || op.verb === 'create') && (op.base || op.comment !== undefined)) {
            line += ' {';
            if (op.base) line += ` type ${op.base.type} hook ${op.base.hook} priority ${op.base.priority} ;`;
            if (op.comment !== undefined) line += ` comment ${q(op.comment)} ;`;
            line += ' }';
          }
          out.push(line);
          break;
        }
        case 'set':
        case 'map': {
          let line = `${op.verb} ${op.obj} ${t} ${op.name}`;
          if (op.verb === 'add' || op.verb === 'create') {
            line += ` { type ${op.type} ;`;
            if (op.flags?.length) line += ` flags ${op.flags.join(',')} ;`;
            if (op.timeoutSec !== undefined) line += ` timeout ${op.timeoutSec}s ;`;
            if (op.comment !== undefined) line += ` comment ${q(op.comment)} ;`;
            line += ' }';
          }
          out.push(line);
          break;
        }
        case 'element': {
          let line = `${op.verb} element ${t} ${op.set} { ${op.key.join(' . ')}`;
          if (op.verb === 'add') {
            if (op.comment !== undefined) line += ` comment ${q(op.comment)}`;
            if (op.value !== undefined) line += ` : ${op.value}`;
          }
          out.push(`${line} }`);
          break;
        }
        case 'rule':
          out.push(`add rule ${t} ${op.chain} ${op.rule}${op.comment !== undefined ? ` comment ${q(op.comment)}` : ''}`);
          break;
      }
    }
    return `${out.join('\n')}\n`;
  }
}

/** `ipv4_addr . inet_proto . inet_service : verdict` → key types and data type. */
function setType(type: string): { keyType: NftType[]; dataType?: NftType } {
  const [key, data] = type.split(' : ');
  const keyType = key!.split(' . ').map((t) => {
    if (!isNftType(t)) throw new NftError(`unknown datatype ${t}`, 0, 0);
    return t;
  });
  const d = data?.trim();
  if (d !== undefined && !isNftType(d)) throw new NftError(`unknown datatype ${d}`, 0, 0);
  return { keyType, dataType: d as NftType | undefined };
}

const NOWHERE = { start: 0, end: 0 };

/** A verdict as written in a map element (`goto service-…`, `drop`); the parser only for anything else. */
function verdictOf(text: string): NftVerdict {
  const sp = text.indexOf(' ');
  if (sp < 0 && (text === 'accept' || text === 'drop' || text === 'continue' || text === 'return')) return { k: text };
  const verb = text.slice(0, sp);
  if ((verb === 'goto' || verb === 'jump') && text.indexOf(' ', sp + 1) < 0) return { k: verb, chain: chainName(text.slice(sp + 1)) };
  return parseVerdictText(text);
}

/**
 * The chain the previous operation named, as resolved: a proxier adds a chain, flushes it and
 * fills it one operation after another, so most look-ups by name are of the chain just seen.
 */
interface LastChain {
  name?: string;
  chain?: NftChain;
}

function chainNamed(tx: NftTx, table: NftTable, name: string, last: LastChain): NftChain {
  if (last.name === name && last.chain) return last.chain;
  const chain = tx.requireChain(table, name, NOWHERE);
  last.name = name;
  last.chain = chain;
  return chain;
}

/**
 * One operation of the batch. `table` is the transaction's table as last resolved (undefined
 * until it exists); the caller refreshes it after a table operation.
 */
function applyOp(tx: NftTx, family: NftFamily, name: string, op: KnfOp, resolved: NftTable | undefined, last: LastChain): void {
  // only deleting a chain or its table can take the remembered chain away
  if (op.obj === 'table' || (op.obj === 'chain' && op.verb === 'delete')) last.chain = undefined;
  if (op.obj === 'table') {
    if (op.verb === 'add' || op.verb === 'create') tx.addTable(family, name, { comment: op.comment, create: op.verb === 'create' }, NOWHERE);
    else {
      const table = tx.requireTable(family, name, NOWHERE);
      if (op.verb === 'delete') tx.deleteTable(table);
      else {
        for (const c of table.chains.values()) tx.flushChain(table, c);
        for (const s of table.sets.values()) if (!s.anonymous) tx.flushSet(table, s);
      }
    }
    return;
  }
  const table: NftTable = resolved ?? tx.requireTable(family, name, NOWHERE);
  switch (op.obj) {
    case 'chain':
      if (op.verb === 'add' || op.verb === 'create') {
        last.chain = tx.addChain(table, op.name, { base: op.base ? { ...op.base, policy: 'accept' } : undefined, comment: op.comment, create: op.verb === 'create' }, NOWHERE);
        last.name = op.name;
      } else if (op.verb === 'flush') tx.flushChain(table, chainNamed(tx, table, op.name, last));
      else tx.deleteChain(table, tx.requireChain(table, op.name, NOWHERE), NOWHERE);
      return;
    case 'set':
    case 'map': {
      if (op.verb === 'add' || op.verb === 'create') {
        const { keyType, dataType } = setType(op.type ?? '');
        const flags = [...(op.flags ?? [])];
        tx.addSet(
          table,
          { name: op.name, keyType, dataType, flags, timeoutMs: op.timeoutSec === undefined ? undefined : op.timeoutSec * 1000, size: flags.includes('dynamic') ? 65535 : undefined, comment: op.comment, anonymous: false, elements: new Map() },
          { create: op.verb === 'create' },
          NOWHERE,
        );
      } else if (op.verb === 'flush') tx.flushSet(table, tx.requireSet(table, op.name, NOWHERE));
      else tx.deleteSet(table, tx.requireSet(table, op.name, NOWHERE), NOWHERE);
      return;
    }
    case 'element': {
      const set = tx.requireSet(table, op.set, NOWHERE);
      if (op.key.length !== set.keyType.length) throw new NftError('datatype mismatch', 0, 0);
      const key: NftConst[] = op.key.map((k, i) => {
        const c = parseConst(set.keyType[i]!, k);
        if (typeof c === 'string') throw new NftError(c, 0, 0);
        return c;
      });
      if (op.verb === 'delete') tx.deleteElement(table, set, { key }, NOWHERE);
      else tx.addElement(table, set, { key, data: op.value === undefined ? undefined : verdictOf(op.value), comment: op.comment }, {}, NOWHERE);
      return;
    }
    case 'rule':
      addRuleText(tx, table, chainNamed(tx, table, op.chain, last), op.rule, op.comment);
      return;
  }
}

/**
 * knftables Run: the transaction as one batch. It applies straight from its objects; if anything
 * is refused, the batch is undone and its text is run the ordinary way, so the error reads
 * exactly as nft reports it for that text.
 */
export function runTransaction(rs: NftRuleset, t: KnfTransaction, nowUs = 0): { readonly ok: true } | { readonly ok: false; readonly error: string } {
  const tx = new NftTx(rs, nowUs);
  try {
    let table = rs.table(t.family, t.table);
    const last: LastChain = {};
    for (const op of t.ops) {
      applyOp(tx, t.family, t.table, op, table, last);
      if (op.obj === 'table') table = rs.table(t.family, t.table);
    }
    tx.commit(NOWHERE);
    return { ok: true };
  } catch (e) {
    tx.abort();
    if (!(e instanceof NftError)) throw e;
  }
  const r = runNft(rs, t.text(), { file: '/dev/stdin', nowUs });
  return r.ok ? { ok: false, error: 'the batch was refused, but nft -f took its text' } : { ok: false, error: r.error };
}
