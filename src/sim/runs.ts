import type { FlowSpec, Result, SimRequest } from './api-types.ts';
import { loadScenario } from './api.ts';
import { execCommand } from './cli/exec.ts';
import type { Cluster } from './k8s/cluster.ts';
import { closedConnections } from './k8s/flows.ts';
import type { Trace } from './trace/event.ts';

/** The most connections one run may make: ~1 ms each, so a run stays within seconds. */
export const MAX_RUNS = 100_000;

export interface RunOutcome {
  /** `node1/nginx-test-…-5kqbd`, or `dropped (REASON)` */
  readonly where: string;
  readonly count: number;
  readonly delivered: boolean;
}

export interface RunsResult {
  readonly n: number;
  /** where the requests ended, in name order */
  readonly outcomes: readonly RunOutcome[];
  /**
   * the counters of the load balancer the connections went through, afterwards, as its command
   * prints them on the host that balanced (`iptables -t nat -nvL KUBE-SVC-…` or `ipvsadm -Ln --stats`);
   * undefined when the flow crossed no load balancer
   */
  readonly counters?: { readonly host: string; readonly command: string; readonly output: string };
}

/**
 * N connections of one flow through one cluster, one after another (the CLI's `--count`): the
 * statistic draws and the IPVS scheduler's state move on with each, exactly as on a real node,
 * so the distribution per endpoint is what the kernel would produce.
 */
export function runConnections(req: SimRequest, n: number): Result<RunsResult> {
  if (!Number.isInteger(n) || n < 1 || n > MAX_RUNS) return { ok: false, error: { code: 'RUNS', where: 'count', message: `the number of connections must be a whole number from 1 to ${MAX_RUNS}, not ${n}` } };
  const c = loadScenario(req);
  if (!c.ok) return c;
  return runOn(c.value, req.flow, n);
}

/** `runConnections` on a cluster already built (the CLI builds it once for all its options). */
export function runOn(c: Cluster, flow: FlowSpec, n: number): Result<RunsResult> {
  const reached = new Map<string, { count: number; delivered: boolean }>();
  let last: Trace | undefined;
  // each connection closes before the next opens: its port and conntrack entries are freed
  const connect = closedConnections(c);
  for (let i = 0; i < n; i++) {
    const t = connect(flow);
    if (!t.ok) return t;
    last = t.value;
    const first = t.value.packets[0]!;
    const where = first.verdict === 'delivered' ? `${first.host}/${first.netns}` : `dropped (${first.reason})`;
    const prev = reached.get(where);
    reached.set(where, { count: (prev?.count ?? 0) + 1, delivered: first.verdict === 'delivered' });
  }
  const outcomes = [...reached].sort(([a], [b]) => (a < b ? -1 : 1)).map(([where, r]) => ({ where, ...r }));
  return { ok: true, value: { n, outcomes, ...balancerCounters(c, last!) } };
}

/** Where the request was balanced (its DNAT's or IPVS's host), and that balancer's counters now. */
function balancerCounters(c: Cluster, t: Trace): Pick<RunsResult, 'counters'> {
  const request = t.events.filter((e) => e.packetId === 0);
  const ipvs = request.find((e) => e.kind === 'ipvs');
  // iptables' rules count what they match; kube-proxy's nftables rules carry no counter
  const drawn = request.find((e) => e.draws?.length) ?? request.find((e) => e.kind === 'rule' && e.ref?.table === 'iptables' && e.verdict?.startsWith('DNAT'));
  const at = ipvs ?? drawn;
  if (!at) return {};
  // the virtual server as the ipvs step names it: `TCP  10.43.6.58:80 rr`
  const vs = /^(TCP|UDP)\s+(\S+)/.exec(ipvs?.ref?.text ?? '');
  const command = ipvs ? `ipvsadm -Ln --stats${vs ? ` ${vs[1] === 'UDP' ? '-u' : '-t'} ${vs[2]}` : ''}` : `iptables -t nat -nvL ${drawn!.ref?.chain ?? ''}`;
  const r = execCommand(c, at.host, command);
  return r.ok ? { counters: { host: at.host, command, output: r.value.output } } : {};
}
