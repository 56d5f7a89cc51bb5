import { Fragment, useMemo } from 'react';
import { chainTraversal, ruleKey } from '../store/derive.ts';
import { countersAt } from '../store/hooks.ts';
import { useStore } from '../store/store.ts';
import { NftLookupRow } from './NftLookup.tsx';

/**
 * The netfilter walk at this hook so far — PREROUTING → KUBE-SERVICES → KUBE-SVC-… → KUBE-SEP-…
 * — with each visited rule, whether it matched, and its live counter.
 */
export function ChainView() {
  const result = useStore((s) => s.result);
  const cursor = useStore((s) => s.cursor);
  const seek = useStore((s) => s.seek);
  const walk = useMemo(() => (result ? chainTraversal(result.trace.events, cursor, result.tables) : undefined), [result, cursor]);
  if (!result || !walk) return null;
  const counters = countersAt(result, cursor);
  const table = walk.chains[0]?.table ?? '';
  return (
    <section className="insp-section chainview" aria-label="Netfilter chain traversal" data-testid="inspector.chainview">
      <h3 className="insp-h">
        netfilter · <span className="mono">{walk.hook}</span>
        {table && <span className="muted"> · {table}</span>}
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
                  return (
                    <Fragment key={r.index}>
                    <tr
                      className={`${current ? 'current' : ''} ${r.matched ? 'matched' : 'nomatch'}`}
                      data-testid={current ? 'inspector.chainview.current' : undefined}
                      onClick={() => seek(r.index)}
                    >
                      <td className="num">{r.row >= 0 ? r.row + 1 : 'P'}</td>
                      <td className="pk" title="packets (live)">{cnt ? cnt.pkts : ''}</td>
                      <td className="by" title="bytes (live)">{cnt ? cnt.bytes : ''}</td>
                      <td className="rt" title={r.text}>{r.text.replace(/\s+/g, ' ')}</td>
                      <td className="vd">{r.matched ? `→ ${r.verdict}` : 'no match'}</td>
                    </tr>
                    {r.element !== undefined && <NftLookupRow element={r.element} current={current} />}
                    </Fragment>
                  );
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
              </tbody>
            </table>
          </div>
        )}
      </div>
    </section>
  );
}
