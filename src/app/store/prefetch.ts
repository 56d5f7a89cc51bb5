import { CALICO_BACKENDS, cniOf, FLANNEL_BACKENDS, type Modes, type ProxyMode, type SimRequest } from '../../sim/api-types.ts';

/**
 * The requests one click on a mode button away from the one shown: each other kube-proxy mode,
 * and each other datapath of the same CNI. The client computes them while the user reads the
 * trace, so that switching a mode shows the new trace without waiting for the simulation
 * (a trace is a pure function of its request: a cached answer is the answer).
 */
export function modeNeighbours(req: SimRequest, inForce: Required<Modes>): SimRequest[] {
  const proxies: readonly ProxyMode[] = ['iptables', 'ipvs', 'nftables'];
  const backends = cniOf(inForce.backend) === 'calico' ? CALICO_BACKENDS : FLANNEL_BACKENDS;
  // the same object the header's setModes builds: the request's own modes with one changed
  return [
    ...proxies.filter((p) => p !== inForce.proxy).map((proxy) => ({ ...req, modes: { ...req.modes, proxy } })),
    ...backends.filter((b) => b !== inForce.backend).map((backend) => ({ ...req, modes: { ...req.modes, backend } })),
  ];
}

/** A small cache of answers by request key, oldest dropped first. */
export class AnswerCache<T> {
  private readonly entries = new Map<string, T>();
  constructor(private readonly max: number) {}
  get(k: string): T | undefined {
    const v = this.entries.get(k);
    if (v !== undefined) {
      // most recently used last
      this.entries.delete(k);
      this.entries.set(k, v);
    }
    return v;
  }
  has(k: string): boolean {
    return this.entries.has(k);
  }
  set(k: string, v: T): void {
    this.entries.delete(k);
    this.entries.set(k, v);
    while (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!);
  }
  delete(k: string): void {
    this.entries.delete(k);
  }
}
