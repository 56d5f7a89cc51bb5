import { execCommand } from '../../src/sim/cli/exec.ts';
import type { Cluster } from '../../src/sim/k8s/cluster.ts';
import type { NetNs } from '../../src/sim/linux/netns.ts';
import type { Checker } from './check.ts';
import type { Lab } from './kernel.ts';

/**
 * One cluster under test: the model (a Cluster the probes drive through its CLI and flows) and
 * the kernel (the exported lab), with the map between their namespaces. Probes change both
 * sides the same way, in the same order, so that state they leave behind (conntrack entries,
 * learned neighbours, counters) stays comparable.
 */
export class Probe {
  constructor(
    readonly c: Cluster,
    readonly lab: Lab,
    private readonly names: ReadonlyMap<string, string>,
    readonly ck: Checker,
  ) {}

  /** The lab's namespace for a model namespace. */
  real(ns: NetNs): string {
    const n = this.names.get(ns.id);
    if (!n) throw new Error(`no lab namespace for ${ns.id}`);
    return n;
  }

  /** The name the model's shell knows a namespace by: a host's, else its pod's or container's. */
  target(ns: NetNs): string {
    return ns.kind === 'root' ? ns.host : ns.name;
  }

  /** A command line in the model's shell on `ns`; its output (a model error is a suite error). */
  modelExec(ns: NetNs, line: string): string {
    const r = execCommand(this.c, this.target(ns), line);
    if (!r.ok) throw new Error(`model: ${line} on ${ns.id}: ${r.error.message}`);
    return r.value.output;
  }

  /** The same, when the command may fail in the model (its error text is the answer). */
  modelTry(ns: NetNs, line: string): { ok: boolean; output: string } {
    const r = execCommand(this.c, this.target(ns), line);
    return r.ok ? { ok: true, output: r.value.output } : { ok: false, output: r.error.message };
  }
}
