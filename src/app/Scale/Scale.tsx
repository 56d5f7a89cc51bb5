import { useMemo } from 'react';
import type { ProxyMode } from '../../sim/api-types.ts';
import type { ScalePoint } from '../../sim/compare.ts';
import { SCALE_PROXIES, SCALE_SERVICES } from '../store/client.ts';
import { scaleKey, useStore } from '../store/store.ts';
import { decades, FRAME, logScale, SERIES, seriesPath, shortCount, yTop, type Series } from './chart.ts';
import './Scale.css';

const ENDPOINT_CHOICES = [1, 2, 6, 10] as const;

/**
 * Seed §5's growth argument, measured: kube-proxy programs a 3-node cluster with 10 … 10,000
 * services in each mode (iptables, ipvs, nftables), and the chart counts what it wrote on a node (the same on every node) and what one packet to
 * the last service matched. Points arrive one by one from their own worker.
 */
export function Scale() {
  const endpoints = useStore((s) => s.scaleEndpoints);
  const setEndpoints = useStore((s) => s.setScaleEndpoints);
  const all = useStore((s) => s.scalePoints);
  const running = useStore((s) => s.scaleRunning);
  const error = useStore((s) => s.scaleError);
  const points = useMemo(() => {
    const out: Record<string, ScalePoint | undefined> = {};
    for (const n of SCALE_SERVICES) for (const p of SCALE_PROXIES) out[`${p}|${n}`] = all[scaleKey(p, n, endpoints)];
    return out;
  }, [all, endpoints]);
  const done = Object.values(points).filter(Boolean).length;
  const total = SCALE_SERVICES.length * SCALE_PROXIES.length;
  const next = running ? nextMissing(points) : undefined;
  return (
    <div className="scale" data-testid="scale">
      <div className="scale-bar">
        <h2 className="label">Scale</h2>
        <span className="scale-title" title="The source text’s section 5: iptables rules grow with services × endpoints, ipvs keeps a hash table">
          kube-proxy’s rules on a node as services grow
        </span>
        <label className="field">
          <span className="label">endpoints per service</span>
          <select className="select" data-testid="scale.endpoints" aria-label="Endpoints per service" value={endpoints} onChange={(e) => setEndpoints(Number(e.target.value))}>
            {ENDPOINT_CHOICES.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        <span className="scale-progress muted" data-testid="scale.progress" role="status">
          {running && <span className="spinner" aria-hidden="true" />}
          {done < total ? `${done} of ${total} clusters built${next ? ` · building ${next}…` : ''}` : `all ${total} clusters built`}
        </span>
      </div>
      {error && (
        <div className="notice bad" role="alert" data-testid="scale.error">
          <span>{error}</span>
        </div>
      )}
      {/* it scrolls when the chart and the table do not fit: a Tab stop, so the keyboard can scroll it */}
      <div className="scale-body" tabIndex={0} role="region" aria-label="Scale: chart and measurements">
        <figure className="scale-figure">
          <Chart points={points} />
          <figcaption>
            <ul className="scale-legend" aria-label="Legend">
              {SERIES.map((s) => (
                <li key={s.id} className={`lg-${s.proxy}`}>
                  <svg width="34" height="10" aria-hidden="true">
                    <line x1="1" y1="5" x2="33" y2="5" className={`line s-${s.id.replace('.', '-')}`} strokeDasharray={s.dash} />
                  </svg>
                  {s.label}
                </li>
              ))}
            </ul>
          </figcaption>
        </figure>
        <div className="scale-side">
          <Reading points={points} endpoints={endpoints} />
        </div>
        <div className="scale-table-wrap">
          <ScaleTable points={points} />
        </div>
      </div>
    </div>
  );
}

function nextMissing(points: Record<string, ScalePoint | undefined>): string | undefined {
  for (const n of SCALE_SERVICES) for (const p of SCALE_PROXIES) if (!points[`${p}|${n}`]) return `${n} services (${p})`;
  return undefined;
}

function Chart({ points }: { points: Record<string, ScalePoint | undefined> }) {
  const { width, height, left, right, top, bottom } = FRAME;
  const known = Object.values(points).filter((p): p is ScalePoint => !!p);
  const hi = yTop(known);
  const x = logScale(SCALE_SERVICES[0], SCALE_SERVICES[SCALE_SERVICES.length - 1]!, left + 14, width - right - 14);
  const y = logScale(1, hi, height - bottom, top);
  const series = (s: Series) =>
    SCALE_SERVICES.flatMap((n) => {
      const p = points[`${s.proxy}|${n}`];
      return p ? [{ n, v: p[s.field], x: x(n), y: y(p[s.field]) }] : [];
    });
  return (
    <svg
      className="scale-chart"
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label="Rules, ipset entries and nftables set elements on the node against the number of services, log scales; the table below has the numbers"
      data-testid="scale.chart"
    >
      {decades(1, hi).map((d) => (
        <g key={d.value} className={d.major ? 'grid major' : 'grid'}>
          <line x1={left} x2={width - right} y1={y(d.value)} y2={y(d.value)} />
          {d.major && (
            <text x={left - 8} y={y(d.value)} dy="0.32em" textAnchor="end">
              {shortCount(d.value)}
            </text>
          )}
        </g>
      ))}
      {SCALE_SERVICES.map((n) => (
        <g key={n} className="grid xtick">
          <line x1={x(n)} x2={x(n)} y1={top} y2={height - bottom} />
          <text x={x(n)} y={height - bottom + 16} textAnchor="middle">
            {n.toLocaleString('en-US')}
          </text>
        </g>
      ))}
      <text className="axis-title" x={(left + width - right) / 2} y={height - 6} textAnchor="middle">
        services (each with its endpoints), log scale
      </text>
      <text className="axis-title" transform={`translate(14 ${(top + height - bottom) / 2}) rotate(-90)`} textAnchor="middle">
        count, log scale
      </text>
      {SERIES.map((s) => {
        const pts = series(s);
        const cls = `s-${s.id.replace('.', '-')}`;
        return (
          <g key={s.id} data-testid={`scale.series.${s.id}`} data-points={pts.length}>
            <path className={`line ${cls}`} d={seriesPath(pts)} strokeDasharray={s.dash} />
            {pts.map((p) => (
              <circle key={p.n} className={`dot ${cls}`} cx={p.x} cy={p.y} r={3.2}>
                <title>{`${s.label}, ${p.n} services: ${p.v.toLocaleString('en-US')}`}</title>
              </circle>
            ))}
          </g>
        );
      })}
    </svg>
  );
}

type Column = { proxy: ProxyMode; field: keyof ScalePoint; head: string; title: string };

const MATCHED = 'rules the first packet to the last service matched on its node';
const CHECKED = 'rules the first packet to the last service was checked against, matched or not, on its node';
const TRACE = "median time to trace that connection (SYN, SYN-ACK, ACK) once more, in this tab's worker";

/** What one packet costs, the same three columns for every mode. */
const perPacket = (proxy: ProxyMode): Column[] => [
  { proxy, field: 'rulesMatched', head: 'matched', title: MATCHED },
  { proxy, field: 'rulesEvaluated', head: 'checked', title: CHECKED },
  { proxy, field: 'traceUs', head: 'trace', title: TRACE },
];

const COLUMNS: readonly Column[] = [
  { proxy: 'iptables', field: 'iptablesRules', head: 'rules', title: 'all iptables rules on a node (nat + filter + mangle + raw)' },
  ...perPacket('iptables'),
  { proxy: 'ipvs', field: 'iptablesRules', head: 'rules', title: 'all iptables rules on a node' },
  { proxy: 'ipvs', field: 'ipsetEntries', head: 'ipset', title: 'members of all ipsets' },
  { proxy: 'ipvs', field: 'virtualServers', head: 'virt. srv', title: 'IPVS virtual servers' },
  ...perPacket('ipvs'),
  { proxy: 'nftables', field: 'nftRules', head: 'nft rules', title: "rules of all nf_tables chains on a node (kube-proxy's table ip kube-proxy)" },
  { proxy: 'nftables', field: 'nftElements', head: 'elements', title: 'elements of the named sets and verdict maps (service-ips, cluster-ips, service-nodeports, …)' },
  { proxy: 'nftables', field: 'iptablesRules', head: 'iptables', title: "iptables rules left on the node (flannel's): kube-proxy writes none in this mode" },
  ...perPacket('nftables'),
];

const GROUPS: readonly { proxy: ProxyMode; label: string }[] = [
  { proxy: 'iptables', label: 'iptables mode' },
  { proxy: 'ipvs', label: 'ipvs mode' },
  { proxy: 'nftables', label: 'nftables mode' },
];

/** A cell's text: counts with separators, a trace time in µs or ms. */
function cellText(c: Column, p: ScalePoint): string {
  const v = p[c.field];
  if (c.field === 'traceUs') return typeof v === 'number' ? (v >= 1000 ? `${(v / 1000).toFixed(1)} ms` : `${v} µs`) : '–';
  return Number(v).toLocaleString('en-US');
}

function ScaleTable({ points }: { points: Record<string, ScalePoint | undefined> }) {
  return (
    <table className="scale-table mono" data-testid="scale.table">
      <caption className="sr-only">What kube-proxy wrote on a node, per number of services</caption>
      <thead>
        <tr>
          <th rowSpan={2} scope="col" className="svc">
            services
          </th>
          {GROUPS.map((g) => (
            <th key={g.proxy} colSpan={COLUMNS.filter((c) => c.proxy === g.proxy).length} scope="colgroup" className={`grp-${g.proxy}`}>
              {g.label}
            </th>
          ))}
        </tr>
        <tr>
          {COLUMNS.map((c) => (
            <th key={`${c.proxy}.${c.field}`} scope="col" title={c.title} className={`grp-${c.proxy}`}>
              {c.head}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {SCALE_SERVICES.map((n) => (
          <tr key={n} data-testid={`scale.row.${n}`}>
            <th scope="row" className="svc">
              {n.toLocaleString('en-US')}
            </th>
            {COLUMNS.map((c) => {
              const p = points[`${c.proxy}|${n}`];
              return (
                <td key={`${c.proxy}.${c.field}`} data-testid={`scale.cell.${n}.${c.proxy}.${c.field}`} className={`grp-${c.proxy}${p ? '' : ' pending'}`}>
                  {p ? cellText(c, p) : '…'}
                </td>
              );
            })}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** `21`, or `14–21` when the sizes measured so far differ. */
function matchedRange(points: Record<string, ScalePoint | undefined>, proxy: ProxyMode): string {
  const xs = SCALE_SERVICES.flatMap((n) => {
    const p = points[`${proxy}|${n}`];
    return p ? [p.rulesMatched] : [];
  });
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  return lo === hi ? String(lo) : `${lo}–${hi}`;
}

/** The seed's argument next to the measured numbers, once the 10-service points are in. */
function Reading({ points, endpoints }: { points: Record<string, ScalePoint | undefined>; endpoints: number }) {
  const ipt = points['iptables|10'];
  const ipvs = points['ipvs|10'];
  const nft = points['nftables|10'];
  const iptBig = points['iptables|1000'];
  const ipvsBig = points['ipvs|1000'];
  const nftBig = points['nftables|1000'];
  const nftHuge = points['nftables|10000'];
  if (!ipt || !ipvs) return null;
  return (
    <div className="scale-reading" data-testid="scale.reading">
      <p>
        <strong>10 services × {endpoints} endpoints.</strong> The seed counts at least 10 × {endpoints} × 2 = {10 * endpoints * 2} iptables entries (a DNAT and a
        mark-masq rule per endpoint). kube-proxy in iptables mode wrote <span className="mono">{ipt.iptablesRules}</span> rules on each node ({ipt.natRules} in nat).
      </p>
      <p>
        In ipvs mode it wrote <span className="mono">{ipvs.iptablesRules}</span> iptables rules, <span className="mono">{ipvs.ipsetEntries}</span> ipset entries and{' '}
        <span className="mono">{ipvs.virtualServers}</span> virtual servers
        {iptBig && ipvsBig ? (
          <>
            ; at 1,000 services that is <span className="mono">{ipvsBig.iptablesRules}</span> iptables rules (against{' '}
            <span className="mono">{iptBig.iptablesRules.toLocaleString('en-US')}</span> in iptables mode) and{' '}
            <span className="mono">{ipvsBig.ipsetEntries.toLocaleString('en-US')}</span> ipset entries: the services live in ipsets and IPVS tables, not in
            iptables.
          </>
        ) : (
          '.'
        )}
      </p>
      <p>
        What one packet costs: the first packet of a connection to the last service was checked against <span className="mono">{ipt.rulesEvaluated}</span>{' '}
        rules in iptables mode
        {iptBig ? (
          <>
            {' '}
            (<span className="mono">{iptBig.rulesEvaluated.toLocaleString('en-US')}</span> at 1,000 services: KUBE-SERVICES is a list, tried rule by rule)
          </>
        ) : null}{' '}
        and <span className="mono">{ipvs.rulesEvaluated}</span> in ipvs mode{ipvsBig ? <> ({ipvsBig.rulesEvaluated} at 1,000: one ipset lookup finds any ClusterIP)</> : null}.
      </p>
      {nft && (
        <p data-testid="scale.reading.nftables">
          In nftables mode kube-proxy wrote <span className="mono">{nft.nftRules}</span> nft rules and{' '}
          <span className="mono">{nft.nftElements}</span> set and map elements, and no iptables rules (the{' '}
          <span className="mono">{nft.iptablesRules}</span> left are flannel&rsquo;s). The packet was checked against{' '}
          <span className="mono">{nft.rulesEvaluated}</span> rules
          {nftBig || nftHuge ? (
            <>
              {' '}
              — and <span className="mono">{(nftHuge ?? nftBig)!.rulesEvaluated}</span> at {nftHuge ? '10,000' : '1,000'} services: one lookup in the verdict map{' '}
              <span className="mono">@service-ips</span> on <span className="mono">ip daddr . meta l4proto . th dport</span> finds any service, and{' '}
              <span className="mono">numgen random mod N</span> picks the endpoint in one rule
            </>
          ) : null}
          .
        </p>
      )}
      <p className="muted">
        It matched {matchedRange(points, 'iptables')} rules in iptables mode, {matchedRange(points, 'ipvs')} in ipvs mode
        {nft ? <> and {matchedRange(points, 'nftables')} in nftables mode</> : null} at every size measured: the rules that match stay few; in iptables mode the
        ones tried before them grow with the services.
      </p>
    </div>
  );
}
