import { KNOWN_DIFFERENCES, type KnownDifference } from './known-differences.ts';

/**
 * What a probe found: one fact, as the model and as the kernel have it. `agree` is decided by the
 * probe's rule (equality, or a rule for values the kernel draws at random).
 */
export interface Finding {
  /** the probe family, e.g. `ip route`, `ping`, `capture` */
  readonly probe: string;
  /** where: the namespace, the flow */
  readonly where: string;
  /** the fact compared, e.g. `ttl`, `ip.id rule`, a route line */
  readonly fact: string;
  readonly model: string;
  readonly kernel: string;
  readonly agree: boolean;
  /** the reviewed difference this disagreement is, if any */
  readonly known?: KnownDifference;
}

/** Collects findings for one cluster; a disagreement is looked up in the known-differences list. */
export class Checker {
  readonly findings: Finding[] = [];
  /** probes that could not run here, with the reason */
  readonly skipped: string[] = [];

  constructor(readonly cluster: string) {}

  check(probe: string, where: string, fact: string, model: unknown, kernel: unknown, agree?: boolean): boolean {
    const m = show(model);
    const k = show(kernel);
    const ok = agree ?? m === k;
    const f: Finding = { probe, where, fact, model: m, kernel: k, agree: ok };
    this.findings.push(ok ? f : { ...f, known: KNOWN_DIFFERENCES.find((d) => d.probe === probe && d.fact.test(fact) && (d.where === undefined || d.where.test(where)) && (d.model === undefined || d.model.test(m)) && (d.kernel === undefined || d.kernel.test(k))) });
    return ok;
  }

  /** Compares two lists of lines as sets (order is the kernel's hash order, not a fact). */
  sameSet(probe: string, where: string, model: readonly string[], kernel: readonly string[], fact = (l: string) => l): void {
    const ks = new Set(kernel);
    const ms = new Set(model);
    for (const l of model) if (!ks.has(l)) this.check(probe, where, fact(l), l, '(absent)', false);
    for (const l of kernel) if (!ms.has(l)) this.check(probe, where, fact(l), '(absent)', l, false);
    const common = model.filter((l) => ks.has(l));
    for (const l of common) this.check(probe, where, fact(l), l, l, true);
  }

  /** Compares two lists of lines in order: the same set, then the same order. */
  sameLines(probe: string, where: string, model: readonly string[], kernel: readonly string[], fact = (l: string) => l): void {
    this.sameSet(probe, where, model, kernel, fact);
    const ks = new Set(kernel);
    const ms = new Set(model);
    const mo = model.filter((l) => ks.has(l));
    const ko = kernel.filter((l) => ms.has(l));
    if (mo.length > 1) this.check(probe, where, 'order', mo.join(' | '), ko.join(' | '));
  }
}

function show(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === undefined) return '(none)';
  return JSON.stringify(v);
}
