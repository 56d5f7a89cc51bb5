import { useMemo } from 'react';
import type { StatisticDraw, TraceEvent } from '../../sim/trace/event.ts';
import { chainTraversal, ruleKey, type ChainTraversal } from '../store/derive.ts';
import { countersAt } from '../store/hooks.ts';
import { useStore } from '../store/store.ts';
import { NftLookupRow } from './NftLookup.tsx';

const isNf = (e: TraceEvent | undefined) => e?.kind === 'rule' || e?.kind === 'policy';

/**
 * The netfilter walks a step contains: at the rules level the walk at the cursor's hook so far;
 * a coarser step (DNAT, forward, encap…) stands for whole hooks, and each of them is shown with
 * every rule tried — whatever the level, no rule is hidden here.
 */
export function walksIn(events: readonly TraceEvent[], group: readonly [number, number], tables: Parameters<typeof chainTraversal>[2]): ChainTraversal[] {
  const [from, to] = group;
  if (from >= to) {
    const w = chainTraversal(events, to, tables);
    return w ? [w] : [];
  }
  const out: ChainTraversal[] = [];
  for (let i = from; i <= to; i++) {
    const e = events[i]!;
    const next = events[i + 1];
    // the last rule of a hook's run: the traversal ending there covers the whole hook
    const endOfHook = isNf(e) && !(i < to && isNf(next) && next!.hook === e.hook && next!.host === e.host && next!.netns === e.netns && next!.packetId === e.packetId);
    if (!endOfHook) continue;
    const w = chainTraversal(events, i, tables);
    if (w) out.push(w);
  }
  // an IPVS decision in the group (kube-proxy ipvs mode) is shown with the INPUT walk before it
  const vs = events.slice(from, to + 1).findIndex((e) => e.kind === 'ipvs');
  if (vs >= 0) {
    const w = chainTraversal(events, from + vs, tables);
    if (w?.ipvs) {
      const k = out.findIndex((x) => x.hook === 'INPUT' && x.host === w.host && x.netns === w.netns);
      if (k >= 0) out[k] = w;
      else out.push(w);
    }
  }
  return out;
}

/** `drew 0.7312 ≥ 0.5 → next rule`: what the statistic match rolled, against its probability. */
export function drawText(d: StatisticDraw): string {
  const p = Number(d.probability.toFixed(5));
  return `statistic: drew ${d.value.toFixed(4)} ${d.value < d.probability ? '<' : '≥'} ${p} → ${d.matched ? 'match' : 'next rule'}`;
}

/**
 * The netfilter walk — PREROUTING → KUBE-SERVICES → KUBE-SVC-… → KUBE-SEP-… — with each rule
 * tried, whether it matched, the random draws that decided, and its counter at this step.
 */
export function ChainView({ group }: { group: readonly [number, number] }) {
  const result = useStore((s) => s.result);
  const cursor = useStore((s) => s.cursor);
  const walks = useMemo(() => (result ? walksIn(result.trace.events, group, result.tables) : []), [result, group]);
  if (!result || !walks.length) return null;
  return (
    <>
      {walks.map((w, i) => (
        // keyed by the hook walked, not by the step: stepping through a chain updates its rows in place
        <Walk key={`${w.host}/${w.netns}/${w.hook}/${i}`} walk={w} cursor={cursor} />
      ))}
    </>
  );
}

function Walk({ walk, cursor }: { walk: ChainTraversal; cursor: number }) {
  const result = useStore((s) => s.result)!;
  const seek = useStore((s) => s.seek);
  const counters = countersAt(result, cursor);
  const events = result.trace.events;
  const table = walk.chains[0]?.table ?? '';
  return (
    <section className="insp-section chainview" aria-label={`Netfilter chain traversal at ${walk.hook} on ${walk.host}`} data-testid="inspector.chainview">
      <h3 className="insp-h">
        netfilter · <span className="mono">{walk.hook}</span>
        {table && <span className="muted"> · {table}</span>}
        <span className="muted"> · {walk.host}</span>
      </h3>
      <ol className="chain-crumbs mono" aria-label="Chains visited">
        {walk.chains.map((c, i) => (
          <li key={`${c.table}${c.chain}${i}`} className={i === walk.chains.length - 1 && !walk.ipvs ? 'current' : ''}>
            {c.table !== table && <span className="muted">{c.table} </span>}
            {c.chain}
          </li>
        ))}
        {walk.ipvs && <li className="current">IPVS</li>}
      </ol>
      <div className="chain-rules">
        {walk.chains.map((c, ci) => (
          <div key={`${c.table}${c.chain}${ci}`} className="chain-block">
            <div className="chain-name mono">
              Chain {c.chain}
              {c.table !== table && <span className="muted"> ({c.table})</span>}
            </div>
            <table className="rules mono">
              <tbody>
                {c.rules.map((r) => {
                  if (r.lastRow !== undefined) {
                    const n = r.lastRow - r.row + 1;
                    return (
                      <tr key={`skip${r.row}`} className="skipped" data-testid="inspector.chainview.skipped" title="evaluated in order before the next rule, none matched">
                        <td className="num">{n === 1 ? r.row + 1 : `${r.row + 1}–${r.lastRow + 1}`}</td>
                        <td className="pk" />
                        <td className="by" />
                        <td className="rt">{n === 1 && r.text ? r.text.replace(/\s+/g, ' ') : `${n} rules tried`}</td>
                        <td className="vd">no match</td>
                      </tr>
                    );
                  }
                  const cnt = r.row >= 0 ? counters.get(ruleKey(walk.host, walk.netns, c.table, c.chain, r.row)) : undefined;
                  const current = r.index === walk.current;
                  const draws = r.index >= 0 ? (events[r.index]?.draws ?? []).filter((d) => d.chain === c.chain) : [];
                  return [
                    ...draws.map((d) => (
                      <tr key={`draw${r.index}-${d.row}`} className={`draw${d.matched ? ' hit' : ''}`} data-testid="inspector.chainview.draw">
                        <td className="num">{d.row + 1}</td>
                        <td className="pk" />
                        <td className="by" />
                        <td className="rt" colSpan={2}>
                          {drawText(d)}
                        </td>
                      </tr>
                    )),
                    <tr
                      className={`${current ? 'current' : ''} ${r.matched ? 'matched' : 'nomatch'}`}
                      data-testid={current ? 'inspector.chainview.current' : undefined}
                      onClick={() => seek(r.index)}
                    >
                      <td className="num">{r.row >= 0 ? r.row + 1 : 'P'}</td>
                      <td className="pk" title="packets so far">{cnt ? cnt.pkts : ''}</td>
                      <td className="by" title="bytes so far">{cnt ? cnt.bytes : ''}</td>
                      <td className="rt" title={r.text}>{r.text.replace(/\s+/g, ' ')}</td>
                      <td className="vd">{r.matched ? `→ ${r.verdict}` : 'no match'}</td>
                    </tr>,
                    ...(r.element !== undefined ? [<NftLookupRow key={`lookup${r.index}`} element={r.element} current={current} />] : []),
                  ];
                })}
              </tbody>
            </table>
          </div>
        ))}
        {walk.ipvs && (
          <div className="chain-block ipvs-block" data-testid="inspector.chainview.ipvs">
            <div className="chain-name mono">IPVS (ip_vs_in at LOCAL_IN, after INPUT accepted it)</div>
            <table className="rules mono">
              <tbody>
                <tr className={`matched${walk.ipvs.index === walk.current ? ' current' : ''}`} onClick={() => seek(walk.ipvs!.index)}>
                  <td className="num" />
                  <td className="rt" colSpan={3} title={walk.ipvs.virtualServer}>
                    virtual server {walk.ipvs.virtualServer.replace(/\s+/g, ' ')}
                  </td>
                  <td className="vd">→ {walk.ipvs.realServer}</td>
                </tr>
                {events[walk.ipvs.index]?.decision && (
                  <tr className="draw hit" data-testid="inspector.chainview.decision">
                    <td className="num" />
                    <td className="rt" colSpan={4}>
                      {events[walk.ipvs.index]!.decision}
                    </td>
                  </tr>
                )}
              </tbody>
            </table>
          </div>
        )}
      </div>
    </section>
  );
}
