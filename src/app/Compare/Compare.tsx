import { memo, useMemo, useState } from 'react';
import { CALICO_BACKENDS, FLANNEL_BACKENDS, type Backend, type FlowSpec, type SimResult } from '../../sim/api-types.ts';
import type { ModeSummary } from '../../sim/compare.ts';
import type { TraceEvent } from '../../sim/trace/event.ts';
import { simClient } from '../boot.ts';
import { AXIS_LABEL, hookRows, sideLabel, stepRows, type HookRow, type StepRow } from '../store/compare.ts';
import { describeStep, netnsLabel } from '../store/describe.ts';
import { useStore, type CompareAxis, type ComparisonShown } from '../store/store.ts';
import './Compare.css';

const AXES: readonly CompareAxis[] = ['proxy', 'backend'];

/**
 * The same packet under two modes, side by side (seed §5: PREROUTING → FORWARD → POSTROUTING
 * against PREROUTING → INPUT → POSTROUTING; seed §6: host-gw against vxlan and its 50 bytes —
 * or any two of the datapaths, flannel's and Calico's).
 * Both traces come from one `compare` call to the worker; this view only lines them up.
 */
export function Compare() {
  const axis = useStore((s) => s.compareAxis);
  const setAxis = useStore((s) => s.setCompareAxis);
  const shown = useStore((s) => s.comparison);
  const pending = useStore((s) => s.comparePending);
  const error = useStore((s) => s.compareError);
  const flow = useStore((s) => s.flow);
  const preset = useStore((s) => s.scenario.preset);
  return (
    <div className="compare" data-testid="compare">
      <div className="compare-bar">
        <h2 className="label">Compare</h2>
        <div className="seg" role="group" aria-label="What to compare">
          {AXES.map((a) => (
            <button key={a} type="button" aria-pressed={axis === a} data-testid={`compare.axis.${a}`} onClick={() => setAxis(a)}>
              {AXIS_LABEL[a]}
            </button>
          ))}
        </div>
        {axis === 'backend' && (
          <span className="cmp-pick">
            <BackendPick side={0} />
            <span className="muted">vs</span>
            <BackendPick side={1} />
          </span>
        )}
        <span className="compare-flow mono" title="the flow both sides run (pick it in the header)">
          {flowText(flow)}
          {preset && preset !== 'seed' ? <span className="muted"> · {preset}</span> : null}
        </span>
        {pending && <span className="spinner" role="status" aria-label="computing both traces" data-testid="compare.pending" />}
        <div className="header-spacer" />
        <button
          type="button"
          className="btn"
          data-testid="compare.l2"
          title="Load the two-subnets cluster and compare host-gw with vxlan for a pod on the node behind the gateway"
          onClick={() => void simClient().l2Demo()}
        >
          L2 requirement: host-gw vs vxlan across subnets
        </button>
      </div>
      {error && (
        <div className="notice bad" role="alert" data-testid="compare.error">
          <span>{error}</span>
        </div>
      )}
      {shown ? <CompareBody shown={shown} /> : !error && <p className="compare-empty muted">Computing both traces…</p>}
    </div>
  );
}

const NETWORKS: readonly (readonly [string, readonly Backend[]])[] = [
  ['flannel', FLANNEL_BACKENDS],
  ['calico', CALICO_BACKENDS],
];

/** One side's datapath: flannel's backends and Calico's, in two groups. */
function BackendPick({ side }: { side: 0 | 1 }) {
  const value = useStore((s) => s.compareBackends[side]);
  const set = useStore((s) => s.setCompareBackend);
  const letter = side === 0 ? 'a' : 'b';
  return (
    <select className="select" aria-label={`Side ${letter.toUpperCase()} datapath`} data-testid={`compare.backend.${letter}`} value={value} onChange={(e) => set(side, e.target.value as Backend)}>
      {NETWORKS.map(([cni, backends]) => (
        <optgroup key={cni} label={cni}>
          {backends.map((b) => (
            <option key={b} value={b}>
              {cni} {b}
            </option>
          ))}
        </optgroup>
      ))}
    </select>
  );
}

function flowText(f: FlowSpec): string {
  return `${f.kind} ${f.from} → ${f.to}${f.kind === 'connect' ? ` ${f.proto}` : ''}`;
}

const axisOf = (c: ComparisonShown): CompareAxis => ('proxy' in c.modesB ? 'proxy' : 'backend');

function CompareBody({ shown }: { shown: ComparisonShown }) {
  const axis = axisOf(shown);
  const { a, b, resultA, resultB } = shown.value;
  const hooks = useMemo(() => hookRows(a.hookPaths, b.hookPaths), [a, b]);
  return (
    <div className="compare-body" data-testid="compare.body" data-axis={axis}>
      {/* the titles stay in view while the steps scroll under them; the facts scroll away */}
      <div className="cmp-grid cmp-heads">
        <div className="cmp-corner" />
        <SideTitle side="a" axis={axis} summary={a} result={resultA} />
        <SideTitle side="b" axis={axis} summary={b} result={resultB} />
      </div>
      <div className="cmp-grid cmp-facts">
        <div className="cmp-corner" />
        <SideFacts side="a" summary={a} other={b} result={resultA} />
        <SideFacts side="b" summary={b} other={a} result={resultB} />
      </div>
      <section className="cmp-section" aria-label="Netfilter hooks per host">
        <h3 className="cmp-h">
          Hooks the request crossed, per host <span className="muted">· highlighted where the other side differs</span>
        </h3>
        <div className="cmp-grid">
          {hooks.map((r, i) => (
            <HookLine key={`${r.host}${i}`} row={r} />
          ))}
        </div>
      </section>
      <section className="cmp-section" aria-label="Steps only one side takes">
        <h3 className="cmp-h">Steps only one side takes (request)</h3>
        <div className="cmp-grid">
          <div className="cmp-host muted">kinds</div>
          <OnlyHere side="a" kinds={a.onlyHere} />
          <OnlyHere side="b" kinds={b.onlyHere} />
        </div>
      </section>
      <Steps shown={shown} />
    </div>
  );
}

function SideTitle({ side, axis, summary, result }: { side: 'a' | 'b'; axis: CompareAxis; summary: ModeSummary; result: SimResult }) {
  const last = result.trace.packets.find((p) => p.packetId === 0);
  const drop = result.trace.events.find((e) => e.packetId === 0 && e.kind === 'drop');
  return (
    <div className={`cmp-side-title side-${side}`} data-testid={`compare.${side}`}>
      <span className="cmp-letter">{side.toUpperCase()}</span>
      <span className="cmp-mode mono" data-testid={`compare.${side}.mode`}>
        {sideLabel(axis, summary.modes)}
      </span>
      <span className={`badge ${summary.verdict}`} data-testid={`compare.${side}.verdict`} title={result.trace.reason}>
        {summary.verdict === 'delivered'
          ? `delivered at ${last?.host ?? ''}${last && last.netns !== 'root' ? ` / ${netnsLabel(last.netns)}` : ''}`
          : `dropped at ${drop?.host ?? last?.host ?? '?'}${result.trace.reason ? `: ${result.trace.reason}` : ''}`}
      </span>
      <div className="header-spacer" />
      <button
        type="button"
        className="btn"
        data-testid={`compare.${side}.open`}
        aria-label={`Open side ${side.toUpperCase()} (${sideLabel(axis, summary.modes)}) in the debugger`}
        onClick={() => simClient().openCompared(side)}
      >
        Open in debugger
      </button>
    </div>
  );
}

function SideFacts({ side, summary, other, result }: { side: 'a' | 'b'; summary: ModeSummary; other: ModeSummary; result: SimResult }) {
  const encap = summary.wireBytes - summary.innerBytes;
  const more = summary.wireBytes - other.wireBytes;
  return (
    <div className={`cmp-side side-${side}`}>
      <dl className="cmp-stats">
        <div>
          <dt>events</dt>
          <dd className="mono" data-testid={`compare.${side}.events`}>
            {summary.events}
          </dd>
        </div>
        <div title="netfilter rules the request was checked against on every host, matched or not">
          <dt>rules checked</dt>
          <dd className="mono" data-testid={`compare.${side}.evaluated`}>
            {result.trace.packets.find((p) => p.packetId === 0)?.rulesEvaluated ?? '–'}
          </dd>
        </div>
        <div>
          <dt>on the wire</dt>
          <dd className="mono" data-testid={`compare.${side}.wire`}>
            {summary.wireBytes} B{more > 0 && <span className="delta"> +{more}</span>}
          </dd>
        </div>
        <div>
          <dt>inner frame</dt>
          <dd className="mono" data-testid={`compare.${side}.inner`}>
            {summary.innerBytes} B
          </dd>
        </div>
        <div className="cmp-encap">
          <dt>encapsulation</dt>
          <dd className="mono" data-testid={`compare.${side}.encap`}>
            {encap > 0 ? `+${encap} B (${summary.encapHeaders.join(' + ')})` : 'none'}
          </dd>
        </div>
      </dl>
      {result.notes.length > 0 && (
        <ul className="cmp-notes" data-testid={`compare.${side}.notes`} aria-label="What the controllers logged">
          {result.notes.map((n) => (
            <li key={n}>
              <span className="label">controllers</span> {n}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function HookLine({ row }: { row: HookRow }) {
  return (
    <>
      <div className="cmp-host mono">{row.host}</div>
      {(['a', 'b'] as const).map((side) => {
        const hooks = row[side];
        return (
          <div key={side} className="cmp-hooks" data-testid={`compare.hooks.${row.host}.${side}`}>
            {hooks ? (
              hooks.map((h, i) => (
                <span key={i} className={`hook${h.differs ? ' differs' : ''}${h.hook.endsWith('(outer)') ? ' outer' : ''}`} title={h.differs ? 'the other side does not cross this hook here' : undefined}>
                  {i > 0 && <span className="arrow" aria-hidden="true">→</span>}
                  {h.hook.replace(' (outer)', '')}
                  {h.hook.endsWith('(outer)') && <small> outer</small>}
                </span>
              ))
            ) : (
              <span className="muted not-here">does not pass {row.host}</span>
            )}
          </div>
        );
      })}
    </>
  );
}

function OnlyHere({ side, kinds }: { side: 'a' | 'b'; kinds: readonly string[] }) {
  return (
    <div className="cmp-only" data-testid={`compare.${side}.only`}>
      {kinds.length ? kinds.map((k) => <span key={k} className="chip-only mono">{k}</span>) : <span className="muted">none</span>}
    </div>
  );
}

/** The two traces' steps, lined up by host and then by what each step is. */
function Steps({ shown }: { shown: ComparisonShown }) {
  const [all, setAll] = useState(false);
  const ea = shown.value.resultA.trace.events;
  const eb = shown.value.resultB.trace.events;
  const rows = useMemo(() => stepRows(ea, eb, all ? 'all' : 0), [ea, eb, all]);
  const stats = useMemo(() => {
    let onlyA = 0;
    let onlyB = 0;
    let changed = 0;
    for (const r of rows) {
      if (r.type !== 'step') continue;
      if (r.b < 0) onlyA++;
      else if (r.a < 0) onlyB++;
      else if (describeStep(ea[r.a]!) !== describeStep(eb[r.b]!)) changed++;
    }
    return { onlyA, onlyB, changed };
  }, [rows, ea, eb]);
  return (
    <section className="cmp-section" aria-label="Steps side by side">
      <h3 className="cmp-h">
        Steps side by side, aligned by host
        <span className="muted" data-testid="compare.stepstats">
          {' '}
          · <span className="key only">{stats.onlyA} only in A</span> · <span className="key only">{stats.onlyB} only in B</span> ·{' '}
          <span className="key changed">{stats.changed} with another result</span>
        </span>
        <label className="cmp-all">
          <input type="checkbox" checked={all} onChange={(e) => setAll(e.target.checked)} data-testid="compare.allpackets" /> replies and errors too
        </label>
      </h3>
      <div className="cmp-grid cmp-steps" data-testid="compare.steps">
        {rows.map((r, i) => (
          <StepLine key={i} row={r} ea={ea} eb={eb} />
        ))}
      </div>
    </section>
  );
}

const StepLine = memo(function StepLine({ row, ea, eb }: { row: StepRow; ea: readonly TraceEvent[]; eb: readonly TraceEvent[] }) {
  if (row.type === 'hosts') {
    return (
      <div className="cmp-step-host sides-both">
        <span className="mono">
          {row.hostA} <span className="muted">/</span> {row.hostB}
        </span>
        {row.packetId > 0 && <span className="muted"> · packet {row.packetId}</span>}
        <span className="muted"> · each side at its own host here (another endpoint was picked)</span>
      </div>
    );
  }
  if (row.type === 'host') {
    return (
      <div className={`cmp-step-host sides-${row.sides}`}>
        <span className="mono">{row.host}</span>
        {row.packetId > 0 && <span className="muted"> · packet {row.packetId}</span>}
        {row.sides !== 'both' && <span className="muted"> · only {row.sides.toUpperCase()} passes here</span>}
      </div>
    );
  }
  const a = row.a >= 0 ? ea[row.a] : undefined;
  const b = row.b >= 0 ? eb[row.b] : undefined;
  const changed = !!a && !!b && describeStep(a) !== describeStep(b);
  return (
    <>
      <div className="cmp-host" />
      <StepCell side="a" index={row.a} ev={a} state={!b ? 'only' : changed ? 'changed' : ''} />
      <StepCell side="b" index={row.b} ev={b} state={!a ? 'only' : changed ? 'changed' : ''} />
    </>
  );
});

function StepCell({ side, index, ev, state }: { side: 'a' | 'b'; index: number; ev: TraceEvent | undefined; state: string }) {
  if (!ev) return <div className="cmp-step empty" aria-hidden="true" />;
  return (
    <button
      type="button"
      className={`cmp-step k-${ev.kind} ${state}`}
      data-testid={`compare.step.${side}.${index}`}
      title={`${ev.explanation}\n(click: open ${side.toUpperCase()} in the debugger at this step)`}
      aria-label={`${side.toUpperCase()} step ${index + 1}: ${ev.host}, ${netnsLabel(ev.netns)}, ${describeStep(ev)}${state === 'only' ? ' (only this side)' : ''}`}
      onClick={() => simClient().openCompared(side, index)}
    >
      <span className="n mono">{index + 1}</span>
      <span className="what mono">{describeStep(ev)}</span>
    </button>
  );
}
