import type { Ipv4, Mac } from '../net/addr.ts';

export type NudState = 'PERMANENT' | 'REACHABLE' | 'STALE' | 'FAILED';

/** One entry of the neighbour (ARP) table: `ip neigh` prints these. */
export interface Neighbour {
  readonly ip: Ipv4;
  readonly dev: string;
  readonly lladdr?: Mac;
  readonly state: NudState;
  /** when a packet's ARP exchange created it (simulated µs); absent: programmed beforehand */
  readonly createdUs?: number;
}

/** The neighbour table of one namespace, keyed by (dev, ip) as the kernel's arp_tbl is. */
export class NeighTable {
  private readonly list: Neighbour[] = [];
  /** row of each (dev, ip) in the list: flannel adds a permanent entry per peer node, so no scans */
  private readonly rows = new Map<string, Map<Ipv4, number>>();

  private setRow(n: Neighbour, row: number): void {
    let byIp = this.rows.get(n.dev);
    if (!byIp) this.rows.set(n.dev, (byIp = new Map()));
    byIp.set(n.ip, row);
  }

  /** In `ip neigh` order (insertion); change it only through the methods below. */
  get entries(): readonly Neighbour[] {
    return this.list;
  }

  get(dev: string, ip: Ipv4): { entry: Neighbour; row: number } | undefined {
    const row = this.rows.get(dev)?.get(ip);
    return row === undefined ? undefined : { entry: this.list[row]!, row };
  }

  /** `ip neigh replace`: a PERMANENT entry is never overwritten by learning (neigh_update). */
  set(entry: Neighbour): void {
    const found = this.get(entry.dev, entry.ip);
    if (found && found.entry.state === 'PERMANENT' && entry.state !== 'PERMANENT') return;
    this.replace(entry);
  }

  /** `ip neigh replace|change` by an administrator: the entry is written whatever it was. */
  replace(entry: Neighbour): void {
    const found = this.get(entry.dev, entry.ip);
    if (found) {
      this.list[found.row] = entry;
      return;
    }
    this.setRow(entry, this.list.length);
    this.list.push(entry);
  }

  remove(dev: string | undefined, ip: Ipv4): boolean {
    const row = this.list.findIndex((n) => n.ip === ip && (dev === undefined || n.dev === dev));
    if (row < 0) return false;
    this.removeWhere((_, i) => i === row);
    return true;
  }

  /** Removes the entries `pred` selects (a device went down, `ip neigh flush`); returns how many. */
  removeWhere(pred: (n: Neighbour, row: number) => boolean): number {
    const keep = this.list.filter((n, i) => !pred(n, i));
    const removed = this.list.length - keep.length;
    if (removed === 0) return 0;
    this.list.length = 0;
    this.rows.clear();
    for (const n of keep) {
      this.setRow(n, this.list.length);
      this.list.push(n);
    }
    return removed;
  }
}
