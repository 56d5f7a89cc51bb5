import type { Ipv4, Mac } from '../net/addr.ts';

export type NudState = 'PERMANENT' | 'REACHABLE' | 'STALE' | 'FAILED';

/** One entry of the neighbour (ARP) table: `ip neigh` prints these. */
export interface Neighbour {
  readonly ip: Ipv4;
  readonly dev: string;
  readonly lladdr?: Mac;
  state: NudState;
  /** when a packet's ARP exchange created it (simulated µs); absent: programmed beforehand */
  readonly createdUs?: number;
}

/** The neighbour table of one namespace, keyed by (dev, ip) as the kernel's arp_tbl is. */
export class NeighTable {
  readonly entries: Neighbour[] = [];

  get(dev: string, ip: Ipv4): { entry: Neighbour; row: number } | undefined {
    const row = this.entries.findIndex((n) => n.dev === dev && n.ip === ip);
    return row < 0 ? undefined : { entry: this.entries[row]!, row };
  }

  /** `ip neigh replace`: a PERMANENT entry is never overwritten by learning (neigh_update). */
  set(entry: Neighbour): void {
    const found = this.get(entry.dev, entry.ip);
    if (!found) {
      this.entries.push(entry);
      return;
    }
    if (found.entry.state === 'PERMANENT' && entry.state !== 'PERMANENT') return;
    this.entries[found.row] = entry;
  }

  remove(dev: string | undefined, ip: Ipv4): boolean {
    const row = this.entries.findIndex((n) => n.ip === ip && (dev === undefined || n.dev === dev));
    if (row < 0) return false;
    this.entries.splice(row, 1);
    return true;
  }
}
