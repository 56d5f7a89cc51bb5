import { useMemo, useState } from 'react';
import { simClient } from '../boot.ts';
import { shortName } from '../store/describe.ts';
import { requestOf, useStore } from '../store/store.ts';
import { drawText, walksIn } from './ChainView.tsx';

/** The most connections the browser runs at once (the CLI's --count goes to 100,000). */
export const MAX_UI_RUNS = 5000;

/**
 * Why the packet went to this endpoint, where a load balancer chose one: kube-proxy's statistic
 * draws against their thresholds, nftables' numgen draw, or the IPVS scheduler's reason. Then the two ways to see the
 * choice move: re-roll this connection with the next seed, or run N connections one after
 * another and see how they spread and what the counters say afterwards.
 */
export function WhyEndpoint({ group }: { group: readonly [number, number] }) {
  const result = useStore((s) => s.result);
  const lines = useMemo(() => {
    if (!result) return [];
    const events = result.trace.events;
    const out: string[] = [];
    for (const w of walksIn(events, group, result.tables)) {
      for (const c of w.chains) {
        for (const r of c.rules) {
          const draws = r.index >= 0 ? (events[r.index]?.draws ?? []).filter((d) => d.chain === c.chain) : [];
          for (const d of draws) out.push(`${c.chain} rule ${d.row + 1}: ${drawText(d)}`);
          if (draws.length && r.matched) out.push(`${c.chain} rule ${r.row + 1} → ${r.verdict}`);
          // nftables mode: numgen's draw, said by the step itself
          const decision = r.index >= 0 ? events[r.index]?.decision : undefined;
          if (decision && events[r.index]?.kind === 'rule') out.push(decision);
        }
      }
      const decision = w.ipvs ? events[w.ipvs.index]?.decision : undefined;
      if (decision) out.push(decision);
    }
    return out;
  }, [result, group]);
  if (!lines.length) return null;
  return (
    <section className="insp-section why" aria-label="Why this endpoint" data-testid="inspector.why">
      <h3 className="insp-h">Why this endpoint</h3>
      <ul className="why-lines mono">
        {lines.map((l, i) => (
          <li key={i}>{l}</li>
        ))}
      </ul>
      <Runs />
    </section>
  );
}

function Runs() {
  const draw = useStore((s) => s.scenario.draw ?? 0);
  const setDraw = useStore((s) => s.setDraw);
  const pending = useStore((s) => s.runsPending);
  const error = useStore((s) => s.runsError);
  const runs = useStore((s) => s.runs);
  const current = useStore((s) => JSON.stringify(s.shown ?? requestOf(s)));
  const [n, setN] = useState('100');
  const count = Number(n);
  const valid = Number.isInteger(count) && count >= 1 && count <= MAX_UI_RUNS;
  const shown = runs && runs.key === current ? runs.value : undefined;
  return (
    <div className="runs">
      <div className="runs-bar">
        <button type="button" className="btn" data-testid="why.reroll" onClick={() => setDraw(draw + 1)} title="Another random choice for this connection (statistic draws, ephemeral port); the cluster stays the same">
          Re-roll (draw {draw} → {draw + 1})
        </button>
        <form
          className="runs-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (valid && !pending) void simClient().runConnections(count);
          }}
        >
          <label className="runs-n">
            <span className="label">run</span>
            <input className="input mono" data-testid="why.count" aria-label={`Number of connections to run (1 to ${MAX_UI_RUNS})`} inputMode="numeric" value={n} onChange={(e) => setN(e.target.value)} aria-invalid={!valid} />
          </label>
          <button type="submit" className="btn" data-testid="why.run" disabled={!valid || pending}>
            {pending ? 'running…' : 'connections'}
          </button>
        </form>
      </div>
      {!valid && <p className="bad runs-msg">Enter a whole number of connections from 1 to {MAX_UI_RUNS}.</p>}
      {error && (
        <p className="bad runs-msg" role="alert">
          {error}
        </p>
      )}
      {shown && (
        <div className="runs-result" data-testid="why.result">
          <p className="muted">
            {shown.n} connections one after another through the same kernel state (the CLI's <span className="mono">--count</span>):
          </p>
          <ul className="runs-dist">
            {shown.outcomes.map((o) => {
              const pct = (o.count / shown.n) * 100;
              const [host, ns] = o.where.split('/');
              return (
                <li key={o.where} className={o.delivered ? '' : 'bad'} data-testid="why.outcome">
                  <span className="runs-where mono" title={o.where}>
                    {o.delivered ? `${host} / ${shortName(ns ?? '', 24)}` : o.where}
                  </span>
                  <span className="runs-bar-track" aria-hidden="true">
                    <span className="runs-bar-fill" style={{ width: `${pct}%` }} />
                  </span>
                  <span className="runs-count mono">
                    {o.count} · {pct.toFixed(1)}%
                  </span>
                </li>
              );
            })}
          </ul>
          {shown.counters && (
            <>
              <p className="muted">
                counters on {shown.counters.host} afterwards (<span className="mono">{shown.counters.command}</span>):
              </p>
              <pre className="mono runs-counters" data-testid="why.counters">
                {shown.counters.output.replace(/ {3,}/g, '  ')}
              </pre>
            </>
          )}
        </div>
      )}
    </div>
  );
}
