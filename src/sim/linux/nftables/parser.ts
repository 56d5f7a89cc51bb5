import { isNftType, parseConst, parseTime } from './datatypes.ts';
import { Lexer, NftError, describe, formatNftError, type Token } from './lexer.ts';
import { printChain, printObjects, printRuleset, printSet, printTable, printTables, selectorTypes, type ListOptions } from './print.ts';
import { chainName, ENOENT, EOPNOTSUPP, NftTx, type At, type NftRuleset } from './ruleset.ts';
import type { NftChain, NftChainType, NftConst, NftElement, NftFamily, NftHook, NftOp, NftRhs, NftRule, NftSelector, NftSet, NftStmt, NftTable, NftType, NftVerdict } from './types.ts';

// nft's parser and evaluator (src/parser_bison.y, src/evaluate.c) for the language kube-proxy,
// flannel and a user at the prompt write: `add|create|insert|replace|delete|flush|list` commands
// and the `table … { chain … { … } }` blocks `nft list` prints, which `nft -f` reads back.

const FAMILIES: readonly string[] = ['ip', 'ip6', 'inet', 'arp', 'bridge', 'netdev'];
const HOOKS: readonly string[] = ['prerouting', 'input', 'forward', 'output', 'postrouting', 'ingress'];
const PRIORITY_NAMES: Readonly<Record<string, number>> = { raw: -300, mangle: -150, dstnat: -100, filter: 0, security: 50, srcnat: 100 };
const BINOPS: Readonly<Record<string, '&' | '|' | '^'>> = { '&': '&', and: '&', '|': '|', or: '|', '^': '^', xor: '^' };
const RELATIONS: Readonly<Record<string, NftOp>> = { '==': '==', '!=': '!=', '<': '<', '>': '>', '<=': '<=', '>=': '>=', eq: '==', ne: '!=', lt: '<', gt: '>', le: '<=', ge: '>=' };
const REJECT_TYPES: readonly string[] = ['net-unreachable', 'host-unreachable', 'prot-unreachable', 'port-unreachable', 'net-prohibited', 'host-prohibited', 'admin-prohibited'];
const SADDR_DADDR_PROTOCOL: readonly string[] = ['saddr', 'daddr', 'protocol'];
const SADDR_DADDR: readonly string[] = ['saddr', 'daddr'];
const PORTS: readonly string[] = ['sport', 'dport'];
const META_KEYS: readonly string[] = ['l4proto', 'mark', 'iifname', 'oifname', 'nfproto'];

/** A match that makes a transport header's ports mappable (`dnat to a:port` needs one before it). */
function isL4Match(s: NftStmt): boolean {
  if (s.k !== 'match') return false;
  const l = s.left;
  return (l.k === 'payload' && (l.field === 'sport' || l.field === 'dport' || l.field === 'protocol')) || (l.k === 'meta' && l.key === 'l4proto');
}

export type NftRunResult = { readonly ok: true; readonly output: string } | { readonly ok: false; readonly error: string };

/**
 * Runs nft input against a ruleset as one batch: everything applies, or — on a syntax error or a
 * change the kernel refuses — nothing does, and the error reads as nft's would. `file` names the
 * input for `nft -f` style locations; without it errors print as for a command line. `check`
 * validates and then discards the batch (`nft -c`).
 */
export function runNft(rs: NftRuleset, text: string, o: { readonly file?: string; readonly list?: ListOptions; readonly nowUs?: number; readonly check?: boolean } = {}): NftRunResult {
  const tx = new NftTx(rs, o.nowUs ?? o.list?.nowUs);
  const out: string[] = [];
  try {
    new Parser(new Lexer(text), tx, out, o.list ?? {}).script();
    const firstLine = { start: 0, end: Math.max(1, text.indexOf('\n') < 0 ? text.length : text.indexOf('\n')) };
    // --check: the kernel validates the batch (NLM_F_ACK without commit), then it is thrown away
    if (o.check) {
      tx.validate(firstLine);
      tx.abort();
    } else tx.commit(firstLine);
  } catch (e) {
    tx.abort();
    if (e instanceof NftError) return { ok: false, error: formatNftError(text, e, o.file) };
    throw e;
  }
  return { ok: true, output: out.join('') };
}

const at = (a: Token, b: Token = a): At => ({ start: a.start, end: b.end });

function isEnd(t: Token): boolean {
  return t.kind === 'nl' || t.kind === 'eof' || (t.kind === 'punct' && (t.t === ';' || t.t === '}'));
}

class Parser {
  /** where each jump or goto of this input names its chain: the kernel's refusal points there */
  private readonly targetAt = new WeakMap<NftVerdict, At>();

  constructor(
    private readonly lx: Lexer,
    private readonly tx: NftTx,
    private readonly out: string[],
    private readonly listOpts: ListOptions,
  ) {}

  script(): void {
    for (;;) {
      this.lx.skipNewlines();
      const first = this.lx.peek();
      if (first.kind === 'eof') return;
      if (!this.fastLine(first)) this.command();
      const end = this.lx.peek();
      if (end.kind === 'eof') return;
      if (end.kind === 'nl' || (end.kind === 'punct' && end.t === ';')) continue;
      throw new NftError(`syntax error, unexpected ${describe(end)}`, end.start, end.end);
    }
  }

  /**
   * The line shapes a proxier writes by the hundred thousand — `add chain|flush chain FAMILY
   * TABLE NAME`, the head of `add rule FAMILY TABLE CHAIN …` and of `add element FAMILY TABLE SET
   * { … }` — read straight off the text instead of token by token (as iptables-restore's fast
   * path does). Anything else, or any surprise, goes the general way. True when handled.
   */
  private fastLine(first: Token): boolean {
    if (first.kind !== 'word' || (first.t !== 'add' && first.t !== 'flush')) return false;
    const text = this.lx.text;
    const words: string[] = [];
    let at0 = first.start;
    for (let k = 0; k < 5; k++) {
      const sp = text.indexOf(' ', at0);
      const nl = text.indexOf('\n', at0);
      const end = sp < 0 || (nl >= 0 && nl < sp) ? (nl < 0 ? text.length : nl) : sp;
      const w = text.slice(at0, end);
      if (w === '' || /[{};"#\\]/.test(w)) return false;
      words.push(w);
      at0 = end + 1;
      if (end === nl || end === text.length) break;
    }
    const [verb, what, family, tableName, name] = words;
    if (!FAMILIES.includes(family ?? '') || tableName === undefined || name === undefined) return false;
    const lineEnd = text.indexOf('\n', first.start);
    const eol = lineEnd < 0 ? text.length : lineEnd;
    const nameAt: At = { start: at0 - 1 - name.length, end: at0 - 1 };
    if (what === 'chain' && words.length === 5 && at0 - 1 === eol) {
      const table = this.tx.requireTable(family as NftFamily, tableName, { start: first.start, end: nameAt.start - 1 });
      if (verb === 'add') this.tx.addChain(table, name, {}, { start: first.start, end: nameAt.end });
      else this.tx.flushChain(table, this.tx.requireChain(table, name, nameAt));
      this.lx.seek(eol);
      return true;
    }
    if (verb !== 'add' || words.length < 5 || at0 - 1 >= eol) return false;
    if (what === 'rule') {
      this.lx.seek(at0);
      const head = this.lx.peek();
      if (head.kind === 'word' && (head.t === 'handle' || head.t === 'index' || head.t === 'position')) {
        this.lx.seek(first.start);
        return false;
      }
      const table = this.tx.requireTable(family as NftFamily, tableName, nameAt);
      const chain = this.tx.requireChain(table, name, nameAt);
      // a body alone on its line can be reused as parsed before (see addRuleText)
      const body = text.slice(at0, eol);
      const single = body.indexOf(';') < 0 && body.indexOf('#') < 0;
      const known = single ? parsedBodies.get(body) : undefined;
      if (known && reuseBody(this.tx, table, chain, known, undefined)) {
        this.lx.seek(eol);
        return true;
      }
      const rule = this.appendRule(table, chain, this.stmts(table), head);
      if (single && this.lx.peek().start >= eol) rememberBody(table, body, rule, true);
      return true;
    }
    if (what === 'element') {
      const table = this.tx.requireTable(family as NftFamily, tableName, nameAt);
      const set = this.tx.requireSet(table, name, nameAt);
      this.lx.seek(at0);
      for (const [e, where] of this.elements(set)) this.tx.addElement(table, set, e, {}, where);
      return true;
    }
    return false;
  }

  private command(): void {
    const verb = this.lx.word('command');
    switch (verb.t) {
      case 'table':
        return this.tableBlock(verb);
      case 'add':
      case 'create':
        return this.add(verb.t === 'create');
      case 'insert':
      case 'replace':
        return this.ruleCommand(this.lx.word('rule'), verb.t);
      case 'delete':
      case 'destroy':
        return this.delete(verb.t === 'destroy');
      case 'flush':
        return this.flush();
      case 'list':
        return this.list();
      default:
        throw new NftError(`syntax error, unexpected ${describe(verb)}`, verb.start, verb.end);
    }
  }

  /** An optional family word before a name: `ip`, `inet`, …; absent means `ip`. */
  private family(): NftFamily {
    const t = this.lx.peek();
    if (t.kind === 'word' && FAMILIES.includes(t.t)) {
      this.lx.next();
      // a table literally named like a family: `list table ip` would otherwise lose its name
      if (isEnd(this.lx.peek()) || (this.lx.peek().kind === 'punct' && this.lx.peek().t === '{')) throw new NftError(`syntax error, unexpected ${describe(this.lx.peek())}`, t.start, t.end);
      return t.t as NftFamily;
    }
    return 'ip';
  }

  private table(): { table: NftTable; tok: Token } {
    const family = this.family();
    const tok = this.lx.word('table name');
    return { table: this.tx.requireTable(family, tok.t, at(tok)), tok };
  }

  private add(create: boolean): void {
    const what = this.lx.word('table, chain, rule, set, map or element');
    switch (what.t) {
      case 'table': {
        const family = this.family();
        const name = this.lx.word('table name');
        let comment: string | undefined;
        if (this.lx.acceptPunct('{')) {
          for (;;) {
            this.lx.skipNewlines();
            if (this.lx.acceptPunct('}')) break;
            const k = this.lx.word('table declaration');
            if (k.t === 'comment') comment = this.lx.word('string').t;
            else throw new NftError(`syntax error, unexpected ${describe(k)}`, k.start, k.end);
          }
        }
        this.tx.addTable(family, name.t, { comment, create }, at(what, name));
        return;
      }
      case 'chain': {
        const { table } = this.table();
        const name = this.lx.word('chain name');
        this.chainName(name);
        const decl = this.lx.acceptPunct('{') ? this.chainDecl() : { rules: [] };
        const rule = decl.rules[0];
        if (rule) throw new NftError('syntax error, a chain declaration holds no rules here', rule.start, rule.end);
        this.tx.addChain(table, name.t, { base: decl.base, comment: decl.comment, create }, at(what, name));
        return;
      }
      case 'rule':
        return this.ruleCommand(what, 'add');
      case 'set':
      case 'map': {
        const { table } = this.table();
        const name = this.lx.word('set name');
        this.lx.expectPunct('{');
        this.setBlock(table, name, what.t === 'map', create);
        return;
      }
      case 'element': {
        const { table } = this.table();
        const name = this.lx.word('set name');
        const set = this.tx.requireSet(table, name.t, at(name));
        for (const [e, where] of this.elements(set)) this.tx.addElement(table, set, e, { create }, where);
        return;
      }
      default:
        throw new NftError(`syntax error, unexpected ${describe(what)}`, what.start, what.end);
    }
  }

  private chainName(t: Token): void {
    if (t.t.length > 256) throw new NftError('Chain name too long', t.start, t.end);
  }

  /**
   * `type filter hook input priority 0 ; policy accept ; comment "…" ;` up to the closing brace.
   * Rule lines (the block form) are only located here — their text is parsed once every chain and
   * set of the table exists, as nft's cmd_expand orders a table block: chains, sets, then rules.
   */
  private chainDecl(): { base?: NftChain['base']; comment?: string; rules: At[] } {
    let base: { type: NftChainType; hook: NftHook; priority: number; policy: 'accept' | 'drop' } | undefined;
    let comment: string | undefined;
    let policy: Token | undefined;
    const rules: At[] = [];
    for (;;) {
      this.lx.skipNewlines();
      if (this.lx.acceptPunct('}')) break;
      const k = this.lx.peek();
      if (k.kind === 'word' && k.t === 'type') {
        this.lx.next();
        const type = this.lx.word('chain type');
        if (type.t !== 'filter' && type.t !== 'nat' && type.t !== 'route') throw new NftError(`unknown chain type ${type.t}`, type.start, type.end);
        const hk = this.lx.word('hook');
        if (hk.t !== 'hook') throw new NftError(`syntax error, unexpected ${describe(hk)}, expecting hook`, hk.start, hk.end);
        const hook = this.lx.word('hook name');
        if (!HOOKS.includes(hook.t)) throw new NftError(`unknown chain hook`, hook.start, hook.end);
        if (hook.t === 'ingress') throw new NftError('ingress hooks (netdev) are not modelled', hook.start, hook.end);
        if ((type.t === 'nat' && hook.t === 'forward') || (type.t === 'route' && hook.t !== 'output')) {
          throw new NftError(`Could not process rule: ${EOPNOTSUPP}`, type.start, hook.end);
        }
        const pw = this.lx.word('priority');
        if (pw.t !== 'priority') throw new NftError(`syntax error, unexpected ${describe(pw)}, expecting priority`, pw.start, pw.end);
        base = { type: type.t, hook: hook.t as NftHook, priority: this.priority(hook.t, pw), policy: 'accept' };
      } else if (k.kind === 'word' && k.t === 'policy') {
        this.lx.next();
        policy = this.lx.word('policy');
        if (policy.t !== 'accept' && policy.t !== 'drop') throw new NftError(`syntax error, unexpected ${describe(policy)}`, policy.start, policy.end);
      } else if (k.kind === 'word' && k.t === 'comment') {
        this.lx.next();
        comment = this.lx.word('string').t;
      } else {
        const start = this.lx.offset;
        this.skipRule();
        rules.push({ start, end: this.lx.offset });
      }
    }
    if (policy && !base) throw new NftError(`Could not process rule: ${EOPNOTSUPP}`, policy.start, policy.end);
    if (policy && base) base.policy = policy.t as 'accept' | 'drop';
    return { base, comment, rules };
  }

  /** Moves past one rule's tokens (braces of anonymous sets included) without parsing them. */
  private skipRule(): void {
    let depth = 0;
    for (;;) {
      const t = this.lx.peek();
      if (t.kind === 'eof' || (depth === 0 && isEnd(t))) return;
      this.lx.next();
      if (t.kind === 'punct' && t.t === '{') depth++;
      else if (t.kind === 'punct' && t.t === '}') depth--;
    }
  }

  /** Moves past a `{ … }` body whose opening brace is consumed; returns the offset after its `}`. */
  private skipBlock(): number {
    let depth = 1;
    for (;;) {
      const t = this.lx.next();
      if (t.kind === 'eof') throw new NftError(`syntax error, unexpected end of file`, t.start, t.end);
      if (t.kind === 'punct' && t.t === '{') depth++;
      else if (t.kind === 'punct' && t.t === '}' && --depth === 0) return t.end;
    }
  }

  /** A parser for a range of the same input, sharing this batch. */
  private sub(range: At): Parser {
    return new Parser(new Lexer(this.lx.text, range.start, range.end), this.tx, this.out, this.listOpts);
  }

  /** `0`, `-110`, `dstnat`, `dstnat - 10`, `filter+5`, checked against the hook as nft does. */
  private priority(hook: string, keyword: Token): number {
    const first = this.lx.word('priority value');
    let end = first;
    const m = /^(-?\d+)$/.exec(first.t) ?? /^([a-z]+)(?:([+-])(\d+))?$/.exec(first.t);
    if (!m) throw new NftError(`syntax error, unexpected ${describe(first)}`, first.start, first.end);
    if (/^-?\d+$/.test(m[1]!)) return Number(m[1]);
    const name = m[1]!;
    const base = PRIORITY_NAMES[name];
    if (base === undefined) throw new NftError(`'${name}' is invalid priority.`, first.start, first.end);
    let value = base + (m[2] ? (m[2] === '+' ? 1 : -1) * Number(m[3]) : 0);
    const sign = this.lx.peek();
    if (!m[2] && sign.kind === 'word' && (sign.t === '+' || sign.t === '-')) {
      this.lx.next();
      const n = this.lx.word('number');
      if (!/^\d+$/.test(n.t)) throw new NftError(`syntax error, unexpected ${describe(n)}`, n.start, n.end);
      value += (sign.t === '+' ? 1 : -1) * Number(n.t);
      end = n;
    }
    if ((name === 'dstnat' && hook !== 'prerouting') || (name === 'srcnat' && hook !== 'postrouting')) {
      throw new NftError('invalid priority expression value in this context.', keyword.start, end.end);
    }
    return value;
  }

  /** The `table ip NAME { … }` block form `nft list` prints. */
  private tableBlock(kw: Token): void {
    const family = this.family();
    const name = this.lx.word('table name');
    const table = this.tx.addTable(family, name.t, {}, at(kw, name));
    this.lx.expectPunct('{');
    const chains: { readonly name: Token; readonly kw: Token; readonly decl: ReturnType<Parser['chainDecl']> }[] = [];
    const sets: { readonly name: Token; readonly isMap: boolean; readonly body: At }[] = [];
    for (;;) {
      this.lx.skipNewlines();
      if (this.lx.acceptPunct('}')) break;
      const k = this.lx.word('chain, set, map or comment');
      if (k.t === 'comment') {
        this.tx.setComment(table, table, this.lx.word('string').t);
      } else if (k.t === 'chain') {
        const cn = this.lx.word('chain name');
        this.chainName(cn);
        this.lx.expectPunct('{');
        chains.push({ name: cn, kw: k, decl: this.chainDecl() });
      } else if (k.t === 'set' || k.t === 'map') {
        const sn = this.lx.word('set name');
        this.lx.expectPunct('{');
        const start = this.lx.offset;
        sets.push({ name: sn, isMap: k.t === 'map', body: { start, end: this.skipBlock() } });
      } else throw new NftError(`syntax error, unexpected ${describe(k)}`, k.start, k.end);
    }
    // cmd_expand: every chain, then every set, then the rules
    const made = chains.map((c) => this.tx.addChain(table, c.name.t, { base: c.decl.base, comment: c.decl.comment }, at(c.kw, c.name)));
    for (const s of sets) this.sub(s.body).setBlock(table, s.name, s.isMap, false);
    chains.forEach((c, i) => {
      for (const range of c.decl.rules) this.sub(range).ruleLine(table, made[i]!);
    });
  }

  /** One rule of a chain block, parsed from its own range. */
  private ruleLine(table: NftTable, chain: NftChain): void {
    const first = this.lx.peek();
    this.appendRule(table, chain, this.stmts(table), first);
    const t = this.lx.peek();
    if (t.kind !== 'eof') throw new NftError(`syntax error, unexpected ${describe(t)}`, t.start, t.end);
  }

  /** A set or map body: `type … ; flags … ; timeout … ; size … ; comment … ; elements = { … }`. */
  private setBlock(table: NftTable, name: Token, isMap: boolean, create: boolean): void {
    let keyType: NftType[] | undefined;
    let dataType: NftType | undefined;
    let flags: string[] = [];
    let timeoutMs: number | undefined;
    let size: number | undefined;
    let comment: string | undefined;
    let pendingElements: { start: number } | undefined;
    const startTok = name;
    for (;;) {
      this.lx.skipNewlines();
      if (this.lx.acceptPunct('}')) break;
      const k = this.lx.word('set declaration');
      if (k.t === 'type') {
        keyType = [];
        for (;;) {
          const t = this.lx.word('datatype');
          if (!isNftType(t.t) || t.t === 'verdict') throw new NftError(`unknown datatype ${t.t}`, t.start, t.end);
          keyType.push(t.t);
          if (!this.lx.accept('.')) break;
        }
        if (this.lx.accept(':')) {
          const d = this.lx.word('datatype');
          if (!isNftType(d.t)) throw new NftError(`unknown datatype ${d.t}`, d.start, d.end);
          dataType = d.t;
        }
      } else if (k.t === 'typeof') {
        throw new NftError('typeof set declarations are not modelled; use type', k.start, k.end);
      } else if (k.t === 'flags') {
        flags = this.commaList('flag');
        for (const f of flags) if (!['constant', 'interval', 'timeout', 'dynamic'].includes(f)) throw new NftError(`unknown set flag ${f}`, k.start, k.end);
      } else if (k.t === 'timeout') {
        const t = this.lx.word('time');
        const ms = parseTime(t.t);
        if (typeof ms === 'string') throw new NftError(ms, t.start, t.end);
        timeoutMs = ms;
      } else if (k.t === 'size') {
        const t = this.lx.word('number');
        if (!/^\d+$/.test(t.t)) throw new NftError(`syntax error, unexpected ${describe(t)}`, t.start, t.end);
        size = Number(t.t);
      } else if (k.t === 'comment') {
        comment = this.lx.word('string').t;
      } else if (k.t === 'policy') {
        this.lx.word('policy');
      } else if (k.t === 'elements') {
        if (!this.lx.accept('=')) throw new NftError(`syntax error, expecting '='`, k.start, k.end);
        pendingElements = { start: k.start };
        break;
      } else throw new NftError(`syntax error, unexpected ${describe(k)}`, k.start, k.end);
    }
    if (!keyType) throw new NftError(`set definition does not specify key`, startTok.start, startTok.end);
    if (isMap && !dataType) throw new NftError('map definition does not specify mapping data type', startTok.start, startTok.end);
    if (!isMap && dataType) throw new NftError(`syntax error, unexpected ':'`, startTok.start, startTok.end);
    // a dynamic set gets the kernel's default size (NFT_SET_DEFAULT_SIZE? nft sets 65535 for it)
    if (size === undefined && flags.includes('dynamic')) size = 65535;
    const set = this.tx.addSet(table, { name: name.t, keyType, dataType, flags, timeoutMs, size, comment, anonymous: false, elements: new Map() }, { create }, at(startTok));
    if (pendingElements) {
      for (const [e, where] of this.elements(set)) this.tx.addElement(table, set, e, {}, where);
      this.lx.skipNewlines();
      this.lx.expectPunct('}');
    }
  }

  private commaList(what: string): string[] {
    const out = [this.lx.word(what).t];
    while (this.lx.acceptPunct(',')) out.push(this.lx.word(what).t);
    return out;
  }

  /** `{ key [timeout T] [comment "c"] [: verdict], … }` for a set of known types. */
  private elements(set: Pick<NftSet, 'keyType' | 'dataType' | 'flags' | 'timeoutMs'>): [NftElement, At][] {
    this.lx.expectPunct('{');
    const out: [NftElement, At][] = [];
    for (;;) {
      this.lx.skipNewlines();
      if (this.lx.acceptPunct('}')) return out;
      const first = this.lx.peek();
      const key: NftConst[] = [];
      let mapTo = false;
      for (let i = 0; ; i++) {
        const t = this.lx.word('element');
        let text = t.t;
        if (text.endsWith(':') && set.dataType && i === set.keyType.length - 1) {
          text = text.slice(0, -1);
          mapTo = true;
        }
        const type = set.keyType[i];
        if (!type) throw new NftError(`datatype mismatch, expected ${set.keyType.join(' . ')}`, t.start, t.end);
        key.push(this.constant(type, text, t, set.flags.includes('interval')));
        if (mapTo || !this.lx.accept('.')) break;
      }
      if (key.length !== set.keyType.length) throw new NftError(`datatype mismatch, expected ${set.keyType.join(' . ')}`, first.start, this.lx.peek().start);
      let comment: string | undefined;
      let timeoutMs: number | undefined;
      for (;;) {
        if (this.lx.accept('comment')) comment = this.lx.word('string').t;
        else if (this.lx.accept('timeout')) {
          const t = this.lx.word('time');
          const ms = parseTime(t.t);
          if (typeof ms === 'string') throw new NftError(ms, t.start, t.end);
          if (!set.flags.includes('timeout')) throw new NftError('Could not process rule: Operation not supported', t.start, t.end);
          timeoutMs = ms;
        } else if (this.lx.accept('expires')) this.lx.word('time');
        else break;
      }
      let data: NftVerdict | undefined;
      if (set.dataType) {
        if (!mapTo && !this.lx.accept(':')) {
          const t = this.lx.peek();
          throw new NftError(`syntax error, unexpected ${describe(t)}, expecting ':'`, t.start, t.end);
        }
        if (set.dataType !== 'verdict') throw new NftError('only verdict maps are modelled', first.start, first.end);
        data = this.verdict();
      }
      const last = this.lx.peek();
      out.push([{ key, data, comment, timeoutMs }, { start: first.start, end: last.start }]);
      this.lx.skipNewlines();
      if (!this.lx.acceptPunct(',')) {
        this.lx.skipNewlines();
        this.lx.expectPunct('}');
        return out;
      }
    }
  }

  private constant(type: NftType, text: string, t: Token, interval: boolean): NftConst {
    const c = parseConst(type, text);
    if (typeof c === 'string') throw new NftError(c, t.start, t.end);
    if (c.lo !== c.hi && !interval) {
      throw new NftError(`You must add 'flags interval' to your set declaration if you want to add prefix elements`, t.start, t.end);
    }
    return c;
  }

  private verdict(): NftVerdict {
    const v = this.lx.word('verdict');
    switch (v.t) {
      case 'accept':
      case 'drop':
      case 'continue':
      case 'return':
        return { k: v.t };
      case 'jump':
      case 'goto': {
        const name = this.lx.word('chain name');
        const verdict: NftVerdict = { k: v.t, chain: chainName(name.t) };
        this.targetAt.set(verdict, at(name));
        return verdict;
      }
      default:
        throw new NftError(`syntax error, unexpected ${describe(v)}, expecting verdict`, v.start, v.end);
    }
  }

  /** `add|insert|replace rule [family] TABLE CHAIN [handle N|index N|position N] STATEMENTS`. */
  private ruleCommand(kw: Token, verb: 'add' | 'insert' | 'replace'): void {
    if (kw.t !== 'rule') throw new NftError(`syntax error, unexpected ${describe(kw)}, expecting rule`, kw.start, kw.end);
    const { table } = this.table();
    const cn = this.lx.word('chain name');
    const chain = this.tx.requireChain(table, cn.t, at(cn));
    let ref: NftRule | undefined;
    let index: number | undefined;
    const pos = this.lx.peek();
    if (pos.kind === 'word' && (pos.t === 'handle' || pos.t === 'position' || pos.t === 'index')) {
      this.lx.next();
      const n = this.lx.word('number');
      if (!/^\d+$/.test(n.t)) throw new NftError(`syntax error, unexpected ${describe(n)}`, n.start, n.end);
      if (pos.t === 'index') {
        index = Number(n.t);
        ref = chain.rules[index];
      } else ref = chain.rules.find((r) => r.handle === Number(n.t));
      if (!ref && !(pos.t === 'index' && index === chain.rules.length && verb !== 'replace')) throw new NftError(`Could not process rule: ${ENOENT}`, n.start, n.end);
    } else if (verb === 'replace') throw new NftError('syntax error, expecting handle', pos.start, pos.end);
    const first = this.lx.peek();
    const r = this.stmts(table);
    const rule: NftRule = { handle: this.tx.allocHandle(table), stmts: r.stmts, comment: r.comment };
    this.tx.tookHandle(table);
    this.checkRule(table, rule, first);
    if (verb === 'replace') this.tx.addRule(table, chain, rule, { replace: ref });
    else if (verb === 'insert') this.tx.addRule(table, chain, rule, ref ? { before: ref } : { insert: true });
    else this.tx.addRule(table, chain, rule, ref ? { after: ref } : {});
  }

  /** A whole input that is one rule body (with the rule's comment given apart). */
  ruleBody(table: NftTable, chain: NftChain, comment: string | undefined): NftRule {
    const first = this.lx.peek();
    const r = this.stmts(table);
    const t = this.lx.peek();
    if (t.kind !== 'eof') throw new NftError(`syntax error, unexpected ${describe(t)}`, t.start, t.end);
    return this.appendRule(table, chain, comment === undefined ? r : { ...r, comment }, first);
  }

  verdictOnly(): NftVerdict {
    const v = this.verdict();
    const t = this.lx.peek();
    if (t.kind !== 'eof') throw new NftError(`syntax error, unexpected ${describe(t)}`, t.start, t.end);
    return v;
  }

  private appendRule(table: NftTable, chain: NftChain, r: NftStmtsResult, first: Token): NftRule {
    const rule: NftRule = { handle: this.tx.allocHandle(table), stmts: r.stmts, comment: r.comment };
    this.tx.tookHandle(table);
    this.checkRule(table, rule, first);
    this.tx.addRule(table, chain, rule, {});
    return rule;
  }

  /** What the kernel checks when a rule is added: its jump targets exist (nft_verdict_init). */
  private checkRule(table: NftTable, rule: NftRule, first: Token): void {
    for (const s of rule.stmts) {
      if (s.k === 'verdict' && (s.v.k === 'jump' || s.v.k === 'goto')) {
        const target = table.chains.get(s.v.chain);
        const where = this.targetAt.get(s.v) ?? at(first);
        if (!target) throw new NftError(`Could not process rule: ${ENOENT}`, where.start, where.end);
        // nft_verdict_init: a base chain is never a jump or goto target
        if (target.base) throw new NftError(`Could not process rule: ${EOPNOTSUPP}`, where.start, where.end);
      }
    }
  }

  /** A rule's statements, up to the end of the line, `;` or `}`. */
  private stmts(table: NftTable): NftStmtsResult {
    const stmts: NftStmt[] = [];
    let comment: string | undefined;
    let l4Matched = false;
    for (;;) {
      const t = this.lx.peek();
      if (isEnd(t)) break;
      if (t.kind === 'word' && t.t === 'comment') {
        this.lx.next();
        comment = this.lx.word('string').t;
        continue;
      }
      const s = this.stmt(table, l4Matched);
      if (!l4Matched && isL4Match(s)) l4Matched = true;
      stmts.push(s);
    }
    if (stmts.length === 0) {
      const t = this.lx.peek();
      throw new NftError(`syntax error, unexpected ${describe(t)}`, t.start, t.end);
    }
    return { stmts, comment };
  }

  private stmt(table: NftTable, l4Matched: boolean): NftStmt {
    const t = this.lx.peek();
    if (t.kind !== 'word') throw new NftError(`syntax error, unexpected ${describe(t)}`, t.start, t.end);
    switch (t.t) {
      case 'accept':
      case 'drop':
      case 'continue':
      case 'return':
      case 'jump':
      case 'goto':
        return { k: 'verdict', v: this.verdict() };
      case 'counter': {
        this.lx.next();
        let packets = 0;
        let bytes = 0;
        if (this.lx.accept('packets')) {
          packets = this.number();
          if (!this.lx.accept('bytes')) throw new NftError('syntax error, expecting bytes', t.start, t.end);
          bytes = this.number();
        }
        return { k: 'counter', packets, bytes };
      }
      case 'reject': {
        this.lx.next();
        if (!this.lx.accept('with')) return { k: 'reject' };
        const fam = this.lx.word('icmp, icmpx or tcp');
        if (fam.t === 'tcp') {
          const r = this.lx.word('reset');
          if (r.t !== 'reset') throw new NftError(`syntax error, unexpected ${describe(r)}`, r.start, r.end);
          return { k: 'reject', with: { family: 'tcp', type: 'reset' } };
        }
        if (fam.t !== 'icmp' && fam.t !== 'icmpx') throw new NftError(`syntax error, unexpected ${describe(fam)}`, fam.start, fam.end);
        this.lx.accept('type');
        const type = this.lx.word('icmp type');
        if (!REJECT_TYPES.includes(type.t)) throw new NftError(`Could not parse icmp type: ${type.t}`, type.start, type.end);
        if (fam.t === 'icmpx' && type.t !== 'port-unreachable' && type.t !== 'admin-prohibited' && type.t !== 'host-unreachable' && type.t !== 'no-route') {
          throw new NftError(`Could not parse icmpx type: ${type.t}`, type.start, type.end);
        }
        return { k: 'reject', with: { family: fam.t, type: type.t } };
      }
      case 'masquerade': {
        this.lx.next();
        return { k: 'masquerade', flags: this.natFlags() };
      }
      case 'dnat':
      case 'snat': {
        this.lx.next();
        this.lx.accept('ip');
        const to = this.lx.word('to');
        if (to.t !== 'to') throw new NftError(`syntax error, unexpected ${describe(to)}, expecting to`, to.start, to.end);
        const a = this.lx.word('address');
        const colon = a.t.lastIndexOf(':');
        const addrText = colon >= 0 ? a.t.slice(0, colon) : a.t;
        const portText = colon >= 0 ? a.t.slice(colon + 1) : undefined;
        let addr: NftConst | undefined;
        if (addrText !== '') {
          const c = parseConst('ipv4_addr', addrText);
          if (typeof c === 'string') throw new NftError(c, a.start, a.start + addrText.length);
          addr = c;
        }
        let port: number | undefined;
        if (portText !== undefined) {
          if (!l4Matched) {
            throw new NftError('transport protocol mapping is only valid after transport protocol match', a.start + colon + 1, a.end);
          }
          const p = parseConst('inet_service', portText);
          if (typeof p === 'string') throw new NftError(p, a.start + colon + 1, a.end);
          port = p.lo;
        }
        return { k: 'nat', type: t.t, addr, port, flags: this.natFlags() };
      }
      case 'update':
      case 'add': {
        this.lx.next();
        const s = this.lx.word('@set');
        if (!s.t.startsWith('@')) throw new NftError(`syntax error, unexpected ${describe(s)}`, s.start, s.end);
        const set = table.sets.get(s.t.slice(1));
        if (!set || set.anonymous) throw new NftError(`Could not process rule: ${ENOENT}`, s.start, s.end);
        this.lx.expectPunct('{');
        const key = this.selector(table);
        this.lx.expectPunct('}');
        if (selectorTypes(key).join('.') !== set.keyType.join('.')) throw new NftError('datatype mismatch', s.start, s.end);
        return { k: 'set-update', op: t.t, set: set.name, key };
      }
      default:
        return this.expressionStmt(table);
    }
  }

  private natFlags(): string[] {
    const t = this.lx.peek();
    if (t.kind !== 'word' || !/^(fully-random|random|persistent)(,|$)/.test(t.t)) return [];
    const flags = this.commaList('flag');
    for (const f of flags) if (!['fully-random', 'random', 'persistent'].includes(f)) throw new NftError(`syntax error, unexpected ${f}`, t.start, t.end);
    return flags;
  }

  private number(): number {
    const n = this.lx.word('number');
    if (!/^\d+$/.test(n.t)) throw new NftError(`syntax error, unexpected ${describe(n)}`, n.start, n.end);
    return Number(n.t);
  }

  /** A selector, then `vmap …`, `set …` (meta mark) or a relational match. */
  private expressionStmt(table: NftTable): NftStmt {
    const left = this.selector(table);
    const types = selectorTypes(left);
    const next = this.lx.peek();
    if (next.kind === 'word' && next.t === 'vmap') {
      this.lx.next();
      return { k: 'vmap', key: left, map: this.mapRef(table, types) };
    }
    if (next.kind === 'word' && next.t === 'set' && left.k === 'meta' && left.key === 'mark') {
      this.lx.next();
      const v = this.lx.peek();
      if (v.kind === 'word' && (v.t === 'mark' || v.t === 'meta')) {
        const value = this.selector(table);
        return { k: 'mark-set', value };
      }
      const c = this.lx.word('value');
      return { k: 'mark-set', value: this.constant('mark', c.t, c, false) };
    }
    let op: NftOp = 'implicit';
    const rel = next.kind === 'word' ? RELATIONS[next.t] : undefined;
    if (rel) {
      this.lx.next();
      op = rel;
    }
    return { k: 'match', left, op, right: this.rhs(table, types) };
  }

  private rhs(table: NftTable, types: readonly NftType[]): NftRhs {
    const t = this.lx.peek();
    if (t.kind === 'punct' && t.t === '{') {
      const elems = this.anonymousElements(types);
      if (elems.length === 1 && types.length === 1) return { k: 'const', value: elems[0]!.key[0]! };
      const interval = elems.some((e) => e.key.some((c) => c.lo !== c.hi));
      const set = this.tx.addAnonymousSet(table, { keyType: [...types], flags: interval ? ['constant', 'interval'] : ['constant'], elements: new Map() });
      for (const e of elems) this.tx.addElement(table, set, e, {}, at(t));
      return { k: 'set', name: set.name };
    }
    const w = this.lx.word('value');
    if (w.t.startsWith('@')) {
      const set = table.sets.get(w.t.slice(1));
      if (!set || set.anonymous) throw new NftError(`Could not process rule: ${ENOENT}`, w.start, w.end);
      if (set.keyType.join('.') !== types.join('.')) throw new NftError(`datatype mismatch, expected ${types.join(' . ')}, set has type ${set.keyType.join(' . ')}`, w.start, w.end);
      return { k: 'set', name: set.name };
    }
    if (types.length > 1) throw new NftError('a concatenation is matched against a set: use { … } or @set', w.start, w.end);
    let text = w.t;
    let end = w;
    // `ct state established,related`: a comma list of flags is one value
    if (types[0] === 'ct_state') {
      while (this.lx.acceptPunct(',')) {
        end = this.lx.word('state');
        text += `,${end.t}`;
      }
    }
    return { k: 'const', value: this.constant(types[0]!, text, { ...w, end: end.end }, true) };
  }

  /** `@map`, or `{ k : verdict, … }` as an anonymous verdict map. */
  private mapRef(table: NftTable, types: readonly NftType[]): string {
    const t = this.lx.peek();
    if (t.kind === 'word' && t.t.startsWith('@')) {
      this.lx.next();
      const set = table.sets.get(t.t.slice(1));
      if (!set || set.anonymous) throw new NftError(`Could not process rule: ${ENOENT}`, t.start, t.end);
      if (set.dataType !== 'verdict') throw new NftError(`map is not a verdict map`, t.start, t.end);
      if (set.keyType.join('.') !== types.join('.')) throw new NftError(`datatype mismatch, map expects ${set.keyType.join(' . ')}, mapping expression has type ${types.join(' . ')}`, t.start, t.end);
      return set.name;
    }
    const shape = { keyType: [...types], dataType: 'verdict' as const, flags: ['constant'], timeoutMs: undefined };
    const elems = this.elementsOf(shape, true);
    const interval = elems.some(([e]) => e.key.some((c) => c.lo !== c.hi));
    const set = this.tx.addAnonymousSet(table, { keyType: [...types], dataType: 'verdict', flags: interval ? ['constant', 'interval'] : ['constant'], elements: new Map() });
    for (const [e, where] of elems) this.tx.addElement(table, set, e, {}, where);
    return set.name;
  }

  private anonymousElements(types: readonly NftType[]): NftElement[] {
    return this.elementsOf({ keyType: [...types], flags: ['constant'], timeoutMs: undefined }, true).map(([e]) => e);
  }

  /** Elements of an anonymous set or map (prefixes and ranges allowed: nft makes it an interval set). */
  private elementsOf(set: Pick<NftSet, 'keyType' | 'dataType' | 'flags' | 'timeoutMs'>, anonymous: boolean): [NftElement, At][] {
    return this.elements(anonymous ? { ...set, flags: [...set.flags, 'interval'] } : set);
  }

  /** A selector: a payload, meta, ct, fib or numgen expression, concatenations and bit operations. */
  private selector(table: NftTable): NftSelector {
    void table;
    let sel = this.primary();
    const parts: NftSelector[] = [sel];
    while (this.lx.peek().kind === 'word' && this.lx.peek().t === '.') {
      this.lx.next();
      parts.push(this.primary());
    }
    if (parts.length > 1) sel = { k: 'concat', parts };
    for (;;) {
      const t = this.lx.peek();
      const op = t.kind === 'word' ? BINOPS[t.t] : undefined;
      if (!op) return sel;
      this.lx.next();
      const type = selectorTypes(sel);
      if (type.length !== 1) throw new NftError('binary operation on a concatenation', t.start, t.end);
      const v = this.lx.word('value');
      sel = { k: 'binop', op, left: sel, right: this.constant(type[0]!, v.t, v, false) };
    }
  }

  private field(allowed: readonly string[]): string {
    const f = this.lx.next();
    if ((f.kind !== 'word' && f.kind !== 'str') || !allowed.includes(f.t)) throw new NftError(`syntax error, unexpected ${describe(f)}, expecting ${allowed.join(' or ')}`, f.start, f.end);
    return f.t;
  }

  private primary(): NftSelector {
    const t = this.lx.word('expression');
    switch (t.t) {
      case 'ip':
        return { k: 'payload', proto: 'ip', field: this.field(SADDR_DADDR_PROTOCOL) as 'saddr' };
      case 'ip6':
        return { k: 'payload', proto: 'ip6', field: this.field(SADDR_DADDR) as 'saddr' };
      case 'tcp':
      case 'udp':
      case 'sctp':
      case 'th':
        return { k: 'payload', proto: t.t, field: this.field(PORTS) as 'sport' };
      case 'icmp':
        this.field(['type']);
        return { k: 'payload', proto: 'icmp', field: 'type' };
      case 'meta':
        return { k: 'meta', key: this.field(META_KEYS) as 'mark' };
      case 'mark':
      case 'iifname':
      case 'oifname':
        return { k: 'meta', key: t.t };
      case 'ct':
        this.field(['state']);
        return { k: 'ct', key: 'state' };
      case 'fib': {
        const addr = this.field(SADDR_DADDR) as 'saddr' | 'daddr';
        this.field(['type']);
        return { k: 'fib', addr };
      }
      case 'numgen': {
        const mode = this.field(['random', 'inc']) as 'random' | 'inc';
        this.field(['mod']);
        const mod = this.number();
        if (mod === 0) throw new NftError('Numgen expression modulus cannot be 0', t.start, t.end);
        let offset = 0;
        if (this.lx.accept('offset')) offset = this.number();
        return { k: 'numgen', mode, mod, offset };
      }
      default:
        throw new NftError(t.t === 'log' || t.t === 'limit' || t.t === 'notrack' || t.t === 'queue' ? `${t.t} is not modelled` : `syntax error, unexpected ${describe(t)}`, t.start, t.end);
    }
  }

  private delete(destroy: boolean): void {
    const what = this.lx.word('table, chain, rule, set, map or element');
    switch (what.t) {
      case 'table': {
        const family = this.family();
        const name = this.lx.word('table name');
        const table = this.tx.rs.table(family, name.t);
        if (!table) {
          if (destroy) return;
          throw new NftError(`Could not process rule: ${ENOENT}`, name.start, name.end);
        }
        this.tx.deleteTable(table);
        return;
      }
      case 'chain': {
        const { table } = this.table();
        const name = this.lx.word('chain name');
        const chain = table.chains.get(name.t);
        if (!chain) {
          if (destroy) return;
          throw new NftError(`Could not process rule: ${ENOENT}`, name.start, name.end);
        }
        this.tx.deleteChain(table, chain, at(name));
        return;
      }
      case 'rule': {
        const { table } = this.table();
        const cn = this.lx.word('chain name');
        const chain = this.tx.requireChain(table, cn.t, at(cn));
        const h = this.lx.word('handle');
        if (h.t !== 'handle') throw new NftError(`syntax error, unexpected ${describe(h)}, expecting handle`, h.start, h.end);
        const n = this.lx.word('number');
        const rule = chain.rules.find((r) => String(r.handle) === n.t);
        if (!rule) throw new NftError(`Could not process rule: ${ENOENT}`, n.start, n.end);
        this.tx.deleteRule(table, chain, rule);
        return;
      }
      case 'set':
      case 'map': {
        const { table } = this.table();
        const name = this.lx.word('set name');
        const set = table.sets.get(name.t);
        if (!set || set.anonymous) {
          if (destroy) return;
          throw new NftError(`Could not process rule: ${ENOENT}`, name.start, name.end);
        }
        this.tx.deleteSet(table, set, at(name));
        return;
      }
      case 'element': {
        const { table } = this.table();
        const name = this.lx.word('set name');
        const set = this.tx.requireSet(table, name.t, at(name));
        // a delete names elements by key alone; a map's data may be left out
        const shape = { ...set, dataType: undefined };
        for (const [e, where] of this.elements(shape)) this.tx.deleteElement(table, set, e, where);
        return;
      }
      default:
        throw new NftError(`syntax error, unexpected ${describe(what)}`, what.start, what.end);
    }
  }

  private flush(): void {
    const what = this.lx.word('ruleset, table, chain, set or map');
    switch (what.t) {
      case 'ruleset': {
        const t = this.lx.peek();
        const family = t.kind === 'word' && FAMILIES.includes(t.t) ? (this.lx.next().t as NftFamily) : undefined;
        for (const table of [...this.tx.rs.tables]) if (!family || table.family === family) this.tx.deleteTable(table);
        return;
      }
      case 'table': {
        const { table } = this.table();
        for (const c of table.chains.values()) this.tx.flushChain(table, c);
        for (const s of table.sets.values()) if (!s.anonymous) this.tx.flushSet(table, s);
        return;
      }
      case 'chain': {
        const { table } = this.table();
        const cn = this.lx.word('chain name');
        this.tx.flushChain(table, this.tx.requireChain(table, cn.t, at(cn)));
        return;
      }
      case 'set':
      case 'map': {
        const { table } = this.table();
        const name = this.lx.word('set name');
        this.tx.flushSet(table, this.tx.requireSet(table, name.t, at(name)));
        return;
      }
      default:
        throw new NftError(`syntax error, unexpected ${describe(what)}`, what.start, what.end);
    }
  }

  private list(): void {
    const what = this.lx.word('ruleset, table, chain, set, map, tables, chains, sets or maps');
    const o = this.listOpts;
    const optFamily = (): NftFamily | undefined => {
      const t = this.lx.peek();
      return t.kind === 'word' && FAMILIES.includes(t.t) ? (this.lx.next().t as NftFamily) : undefined;
    };
    switch (what.t) {
      case 'ruleset':
        this.out.push(printRuleset(this.tx.rs, optFamily(), o));
        return;
      case 'tables':
        this.out.push(printTables(this.tx.rs, optFamily()));
        return;
      case 'chains':
      case 'sets':
      case 'maps':
        this.out.push(printObjects(this.tx.rs, what.t, optFamily(), o));
        return;
      case 'table': {
        const { table } = this.table();
        this.out.push(printTable(table, o));
        return;
      }
      case 'chain': {
        const { table } = this.table();
        const cn = this.lx.word('chain name');
        this.out.push(printChain(table, this.tx.requireChain(table, cn.t, at(cn)), o));
        return;
      }
      case 'set':
      case 'map': {
        const { table } = this.table();
        const name = this.lx.word('set name');
        const set = this.tx.requireSet(table, name.t, at(name));
        if (!!set.dataType !== (what.t === 'map')) throw new NftError(ENOENT, name.start, name.end);
        this.out.push(printSet(table, set, o));
        return;
      }
      default:
        throw new NftError(`syntax error, unexpected ${describe(what)}`, what.start, what.end);
    }
  }
}

/**
 * A rule body given as text on its own (knftables' Rule.Rule), parsed and appended to `chain`
 * within an open batch: what `add rule FAMILY TABLE CHAIN BODY` does after its head.
 */
export function addRuleText(tx: NftTx, table: NftTable, chain: NftChain, body: string, comment?: string): void {
  const known = parsedBodies.get(body);
  if (known && reuseBody(tx, table, chain, known, comment)) return;
  const p = new Parser(new Lexer(body), tx, [], {});
  const rule = p.ruleBody(table, chain, comment);
  rememberBody(table, body, rule, comment === undefined);
}

/**
 * A rule body parsed before, to be reused: its statements (immutable, so shared between the
 * rules of every node that holds the same text) and the anonymous sets it made, which each
 * table gets a copy of under its own name. kube-proxy writes the same rule texts on every node
 * and the lab rebuilds the cluster on every change, so most bodies are parsed once.
 */
interface ParsedBody {
  readonly stmts: readonly NftStmt[];
  readonly anonymous: readonly NftSet[];
  /** named sets and maps the body looks up, with the key types it was checked against */
  readonly named: readonly { readonly name: string; readonly keyType: readonly NftType[]; readonly map: boolean }[];
  /** a `comment "…"` written inside the body */
  readonly comment?: string;
}

const parsedBodies = new Map<string, ParsedBody>();
const MAX_PARSED_BODIES = 500_000;

function rememberBody(table: NftTable, body: string, rule: NftRule, commentInBody: boolean): void {
  const anonymous: NftSet[] = [];
  const named: { name: string; keyType: readonly NftType[]; map: boolean }[] = [];
  for (const st of rule.stmts) {
    // a counter's numbers belong to its rule: such a body is not shared
    if (st.k === 'counter') return;
    const name = st.k === 'vmap' ? st.map : st.k === 'set-update' ? st.set : st.k === 'match' && st.right.k === 'set' ? st.right.name : undefined;
    if (name === undefined) continue;
    const set = table.sets.get(name);
    if (!set) return;
    if (set.anonymous) anonymous.push(set);
    else named.push({ name, keyType: set.keyType, map: st.k === 'vmap' });
  }
  if (parsedBodies.size >= MAX_PARSED_BODIES) parsedBodies.clear();
  parsedBodies.set(body, { stmts: rule.stmts, anonymous, named, comment: commentInBody ? rule.comment : undefined });
}

/** A chain a jump or goto may name here: it exists and is no base chain (nft_verdict_init). */
function isJumpTarget(table: NftTable, name: string): boolean {
  const chain = table.chains.get(name);
  return chain !== undefined && !chain.base;
}

/** Adds a rule from a parsed body, if everything it names exists here as it did; else false. */
function reuseBody(tx: NftTx, table: NftTable, chain: NftChain, known: ParsedBody, comment: string | undefined): boolean {
  for (const n of known.named) {
    const set = table.sets.get(n.name);
    if (!set || set.anonymous || (n.map && set.dataType !== 'verdict') || set.keyType.length !== n.keyType.length || set.keyType.some((t, i) => t !== n.keyType[i])) return false;
  }
  for (const st of known.stmts) {
    if (st.k === 'verdict' && (st.v.k === 'jump' || st.v.k === 'goto') && !isJumpTarget(table, st.v.chain)) return false;
  }
  for (const a of known.anonymous) {
    for (const e of a.elements.values()) if ((e.data?.k === 'jump' || e.data?.k === 'goto') && !isJumpTarget(table, e.data.chain)) return false;
  }
  let stmts = known.stmts;
  if (known.anonymous.length > 0) {
    const renamed = new Map<string, string>();
    for (const a of known.anonymous) {
      // the elements never change once the rule is made: the copy shares them
      const copy = tx.addAnonymousSet(table, { keyType: a.keyType, dataType: a.dataType, flags: a.flags, timeoutMs: a.timeoutMs, size: a.size, comment: a.comment, elements: a.elements });
      renamed.set(a.name, copy.name);
    }
    stmts = known.stmts.map((st) => {
      if (st.k === 'vmap') return { ...st, map: renamed.get(st.map) ?? st.map };
      if (st.k === 'match' && st.right.k === 'set' && renamed.has(st.right.name)) return { ...st, right: { k: 'set', name: renamed.get(st.right.name)! } };
      return st;
    });
  }
  const rule: NftRule = { handle: tx.allocHandle(table), stmts, comment: comment ?? known.comment };
  tx.tookHandle(table);
  tx.addRule(table, chain, rule, {});
  return true;
}

/** A verdict as text (`goto service-…`, `drop`), for a map element's value. */
export function parseVerdictText(text: string): NftVerdict {
  return new Parser(new Lexer(text), undefined as unknown as NftTx, [], {}).verdictOnly();
}

interface NftStmtsResult {
  readonly stmts: NftStmt[];
  readonly comment?: string;
}

