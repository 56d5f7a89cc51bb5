import { useMemo } from 'react';
import type { ScalePoint } from '../../sim/compare.ts';
import { SCALE_PROXIES, SCALE_SERVICES } from '../store/client.ts';
import { scaleKey, useStore } from '../store/store.ts';
import { decades, FRAME, logScale, SERIES, seriesPath, shortCount, yTop, type Series } from './chart.ts';
import './Scale.css';

const ENDPOINT_CHOICES = [1, 2, 6, 10] as const;

/**
 * Seed §5's growth argument, measured: kube-proxy programs a 3-node cluster with 10 … 1,000
 * services in each mode, and the chart counts what it wrote on a node (the same on every node) and what one packet to
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
      <div className="scale-body">
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
          <ScaleTable points={points} />
          <Reading points={points} endpoints={endpoints} />
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
      aria-label="Rules and ipset entries on the node against the number of services, log scales; the table beside it has the numbers"
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

const COLUMNS: readonly { proxy: 'iptables' | 'ipvs'; field: keyof ScalePoint; head: string; title: string }[] = [
  { proxy: 'iptables', field: 'iptablesRules', head: 'rules', title: 'all iptables rules on a node (nat + filter + mangle + raw)' },
  { proxy: 'iptables', field: 'rulesMatched', head: 'matched', title: 'rules the first packet to the last service matched on its node' },
  { proxy: 'iptables', field: 'rulesEvaluated', head: 'checked', title: 'rules that packet was checked against, matched or not, on every host' },
  { proxy: 'ipvs', field: 'iptablesRules', head: 'rules', title: 'all iptables rules on a node' },
  { proxy: 'ipvs', field: 'ipsetEntries', head: 'ipset', title: 'members of all ipsets' },
  { proxy: 'ipvs', field: 'virtualServers', head: 'virt. srv', title: 'IPVS virtual servers' },
  { proxy: 'ipvs', field: 'rulesMatched', head: 'matched', title: 'rules the first packet to the last service matched on its node' },
  { proxy: 'ipvs', field: 'rulesEvaluated', head: 'checked', title: 'rules that packet was checked against, matched or not, on every host' },
];

function ScaleTable({ points }: { points: Record<string, ScalePoint | undefined> }) {
  return (
    <table className="scale-table mono" data-testid="scale.table">
      <caption className="sr-only">What kube-proxy wrote on a node, per number of services</caption>
      <thead>
        <tr>
          <th rowSpan={2} scope="col" className="svc">
            services
          </th>
          <th colSpan={3} scope="colgroup" className="grp-iptables">
            iptables mode
          </th>
          <th colSpan={5} scope="colgroup" className="grp-ipvs">
            ipvs mode
          </th>
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
                  {p ? Number(p[c.field]).toLocaleString('en-US') : '…'}
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
function matchedRange(points: Record<string, ScalePoint | undefined>, proxy: 'iptables' | 'ipvs'): string {
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
  const iptBig = points['iptables|1000'];
  const ipvsBig = points['ipvs|1000'];
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
      <p className="muted">
        It matched {matchedRange(points, 'iptables')} rules in iptables mode and {matchedRange(points, 'ipvs')} in ipvs mode at every size measured: the
        rules that match stay few; the ones tried before them grow with the services.
      </p>
    </div>
  );
}
