import { ipToInt, prefixContains, type Ipv4, type Prefix } from '../net/addr.ts';

/** A route as the kernel keeps it in the main table (what `ip route` lists). */
export interface Route {
  readonly dst: Prefix;
  /** the gateway (`via`); absent for a directly connected route */
  readonly via?: Ipv4;
  readonly dev: string;
  /** rtm_protocol; `bird` (12) is what BIRD installs */
  readonly proto: 'kernel' | 'boot' | 'static' | 'dhcp' | 'bird';
  readonly scope: 'global' | 'link' | 'host';
  /** preferred source address (`src`) */
  readonly src?: Ipv4;
  readonly metric?: number;
  /** `onlink`: the gateway is reachable on dev even though no prefix says so (flannel vxlan) */
  readonly onlink?: boolean;
  readonly type: 'unicast' | 'blackhole' | 'unreachable' | 'prohibit';
}

export interface RouteMatch {
  readonly route: Route;
  /** the route's index in the main table as `ip route` prints it */
  readonly row: number;
}

/**
 * The main routing table: longest-prefix match, then lowest metric (fib_table_lookup). Routes
 * are kept in the order `ip route` prints them: by prefix, then metric.
 */
export class Fib {
  readonly routes: Route[] = [];

  /**
   * Inserts in `ip route` order by binary search, after any equal route (as a stable sort of
   * the appended list would place it): a node of a 1,000-node cluster adds a route per peer.
   */
  add(route: Route): void {
    let lo = 0;
    let hi = this.routes.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareRoutes(route, this.routes[mid]!) < 0) hi = mid;
      else lo = mid + 1;
    }
    this.routes.splice(lo, 0, route);
  }

  /** Removes the routes `pred` selects; returns how many went. */
  remove(pred: (r: Route) => boolean): number {
    const before = this.routes.length;
    for (let i = this.routes.length - 1; i >= 0; i--) {
      if (pred(this.routes[i]!)) this.routes.splice(i, 1);
    }
    return before - this.routes.length;
  }

  lookup(dst: Ipv4 | number, usable: (dev: string) => boolean = () => true): RouteMatch | undefined {
    const ip = typeof dst === 'number' ? dst : ipToInt(dst);
    let best: RouteMatch | undefined;
    for (let i = 0; i < this.routes.length; i++) {
      const r = this.routes[i]!;
      if (!prefixContains(r.dst, ip) || !usable(r.dev)) continue;
      if (
        !best ||
        r.dst.len > best.route.dst.len ||
        (r.dst.len === best.route.dst.len && (r.metric ?? 0) < (best.route.metric ?? 0))
      ) {
        best = { route: r, row: i };
      }
    }
    return best;
  }
}

/** `ip route` order (the fib trie's walk): default first, then by network address, longer prefixes first, metric. */
function compareRoutes(a: Route, b: Route): number {
  if ((a.dst.len === 0) !== (b.dst.len === 0)) return a.dst.len === 0 ? -1 : 1;
  return a.dst.net - b.dst.net || b.dst.len - a.dst.len || (a.metric ?? 0) - (b.metric ?? 0);
}
