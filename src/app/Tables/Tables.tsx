import { useEffect, useMemo, useRef, useState } from 'react';
import type { NamespaceTables } from '../../sim/api-types.ts';
import type { TableRef, TraceEvent } from '../../sim/trace/event.ts';
import { ruleKey } from '../store/derive.ts';
import { countersAt, useCurrentEvent } from '../store/hooks.ts';
import { revealIn } from '../store/scroll.ts';
import { useStore } from '../store/store.ts';
import './Tables.css';

type Sub = 'route' | 'neigh' | 'fdb' | 'iptables' | 'conntrack' | 'ipvs';
const SUBS: readonly { id: Sub; label: string; cmd: string }[] = [
  { id: 'route', label: 'routes', cmd: 'ip route' },
  { id: 'neigh', label: 'neighbours', cmd: 'ip neigh' },
  { id: 'fdb', label: 'FDB', cmd: 'bridge fdb show' },
  { id: 'iptables', label: 'iptables', cmd: 'iptables -nvL' },
  { id: 'conntrack', label: 'conntrack', cmd: 'conntrack -L' },
  { id: 'ipvs', label: 'ipvs', cmd: 'ipvsadm -Ln' },
];
const NF_TABLES = ['nat', 'filter', 'mangle', 'raw'] as const;

function subOf(ref: TableRef | undefined): Sub | undefined {
  if (!ref) return undefined;
  return ref.table === 'bridge-fdb' ? 'fdb' : ref.table;
}

/**
 * The kernel tables of the namespace the packet is in (or one the user picks), rows as the real
 * commands print them, the row the current step consulted highlighted, iptables counters live.
 */
export function Tables() {
  const result = useStore((s) => s.result);
  const cursor = useStore((s) => s.cursor);
  const pinned = useStore((s) => s.tablesNs);
  const setTablesNs = useStore((s) => s.setTablesNs);
  const ev = useCurrentEvent();
  const [pinnedSub, setPinnedSub] = useState<Sub | null>(null);
  const [pinnedNf, setPinnedNf] = useState<string | null>(null);
  const lastAuto = useRef<Sub>('route');

  const nsKey = pinned ? `${pinned.host}|${pinned.netns}` : ev ? `${ev.host}|${ev.netns}` : '';
  const tables = result?.tables.find((t) => `${t.host}|${t.netns}` === nsKey) ?? result?.tables[0];
  const here = !!ev && !!tables && ev.host === tables.host && ev.netns === tables.netns;
  const refSub = here ? subOf(ev.ref) : undefined;
  if (refSub) lastAuto.current = refSub;
  const sub = pinnedSub ?? refSub ?? lastAuto.current;
  const nf: string = pinnedNf ?? (here ? ev.ref?.nfTable : undefined) ?? 'nat';
  const counters = result ? countersAt(result, cursor) : undefined;

  const bodyRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const hit = bodyRef.current?.querySelector<HTMLElement>('.hit');
    const box = bodyRef.current;
    if (hit && box) revealIn(box, hit, 40, 24);
  });

  if (!result || !tables) return <p className="tables-empty muted">No tables yet.</p>;
  return (
    <div className="tables">
      <div className="tables-bar">
        <select
          className="select"
          aria-label="Namespace whose tables are shown"
          data-testid="tables.netns"
          title={pinned ? `${tables.host} · ${tables.netns === 'root' ? 'root netns' : tables.netns}` : `follow the packet (${tables.host}, ${tables.netns === 'root' ? 'root' : tables.netns})`}
          value={pinned ? nsKey : ''}
          onChange={(e) => {
            const v = e.target.value;
            if (!v) return setTablesNs(null);
            const [host, netns] = v.split('|') as [string, string];
            setTablesNs({ host, netns });
          }}
        >
          <option value="">follow the packet ({tables.host}, {tables.netns === 'root' ? 'root' : tables.netns})</option>
          {result.tables.map((t) => (
            <option key={`${t.host}|${t.netns}`} value={`${t.host}|${t.netns}`}>
              {t.host} · {t.netns === 'root' ? 'root netns' : t.netns}
            </option>
          ))}
        </select>
        <div className="seg" role="group" aria-label="Table">
          {SUBS.map((s) => (
            <button
              key={s.id}
              type="button"
              aria-pressed={sub === s.id}
              data-testid={`tables.tab.${s.id}`}
              title={s.cmd}
              onClick={() => setPinnedSub(pinnedSub === s.id ? null : s.id)}
              className={refSub === s.id ? 'used' : ''}
            >
              {s.label}
              <span className="n">{count(tables, s.id)}</span>
            </button>
          ))}
        </div>
        {sub === 'iptables' && (
          <select className="select" aria-label="iptables table" data-testid="tables.nftable" value={nf} onChange={(e) => setPinnedNf(e.target.value)}>
            {NF_TABLES.map((t) => (
              <option key={t} value={t}>
                -t {t}
              </option>
            ))}
          </select>
        )}
        {(pinnedSub || pinnedNf) && (
          <button type="button" className="btn" aria-label="Follow the current step again" onClick={() => (setPinnedSub(null), setPinnedNf(null))}>
            follow step
          </button>
        )}
      </div>
      <div className="tables-body mono" ref={bodyRef} data-testid={`tables.body.${sub}`} tabIndex={0} aria-label={`${sub} of the namespace shown`}>
        <div className="cmd">
          # {SUBS.find((s) => s.id === sub)!.cmd}
          {sub === 'iptables' ? ` -t ${nf}` : ''}
          <span className="muted">
            {'  '}
            ({tables.host}, {tables.netns === 'root' ? 'root netns' : tables.netns})
          </span>
        </div>
        {sub === 'iptables' ? (
          <Iptables tables={tables} nf={nf} ev={here ? ev : undefined} counters={counters} />
        ) : (
          <Lines rows={rowsOf(tables, sub)} since={sinceOf(tables, sub)} nowUs={ev?.timeUs} hit={here && refSub === sub ? ev.ref?.row : undefined} testid={sub} />
        )}
      </div>
    </div>
  );
}

function rowsOf(t: NamespaceTables, sub: Exclude<Sub, 'iptables'>): readonly string[] {
  switch (sub) {
    case 'route':
      return t.routes;
    case 'neigh':
      return t.neigh;
    case 'fdb':
      return t.fdb;
    case 'conntrack':
      return t.conntrack;
    case 'ipvs':
      return t.ipvs;
  }
}

/** When each row came to be during the flow (null: before it); routes and ipvs rows do not change. */
function sinceOf(t: NamespaceTables, sub: Exclude<Sub, 'iptables'>): readonly (number | null)[] | undefined {
  return sub === 'neigh' || sub === 'fdb' || sub === 'conntrack' ? t.since[sub] : undefined;
}

function count(t: NamespaceTables, sub: Sub): number {
  return sub === 'iptables' ? t.iptables.reduce((n, c) => n + c.rules.length, 0) : rowsOf(t, sub).length;
}

/**
 * A table's rows as they stand at the current step: rows the flow has not created yet (an ARP
 * answer, a learned MAC, a conntrack entry) are left out, and counted below.
 */
function Lines({ rows, since, nowUs, hit, testid }: { rows: readonly string[]; since: readonly (number | null)[] | undefined; nowUs: number | undefined; hit: number | undefined; testid: string }) {
  const exists = (i: number) => nowUs === undefined || since === undefined || (since[i] ?? null) === null || since[i]! <= nowUs;
  const later = rows.filter((_, i) => !exists(i)).length;
  if (rows.length === later) return <div className="muted empty-rows">(empty{later ? ` at this step; ${later} ${later === 1 ? 'entry appears' : 'entries appear'} later in the trace` : ''})</div>;
  return (
    <>
      <ol className="lines">
        {rows.map((r, i) =>
          exists(i) ? (
            <li key={i} className={i === hit ? 'hit' : ''} data-testid={`tables.${testid}.${i}`} aria-current={i === hit ? 'true' : undefined}>
              {r}
            </li>
          ) : null,
        )}
      </ol>
      {later > 0 && (
        <div className="muted empty-rows" data-testid={`tables.${testid}.later`}>
          {later} more {later === 1 ? 'entry appears' : 'entries appear'} later in this trace
        </div>
      )}
    </>
  );
}

function Iptables({ tables, nf, ev, counters }: { tables: NamespaceTables; nf: string; ev: TraceEvent | undefined; counters: ReturnType<typeof countersAt> | undefined }) {
  const chains = useMemo(() => tables.iptables.filter((c) => c.table === nf), [tables, nf]);
  if (!chains.length) return <div className="muted empty-rows">(no chains in -t {nf})</div>;
  const hitChain = ev?.ref?.table === 'iptables' && ev.ref.nfTable === nf ? ev.ref.chain : undefined;
  return (
    <div className="ipt">
      {chains.map((c) => (
        <div key={c.name} className={`ipt-chain${c.name === hitChain ? ' used' : ''}`} data-testid={`tables.chain.${c.name}`}>
          <div className="ipt-head">
            Chain {c.name} {c.policy ? `(policy ${c.policy})` : `(${c.references} references)`}
          </div>
          <table>
            <thead>
              <tr>
                <th className="pk">pkts</th>
                <th className="by">bytes</th>
                <th>target · match</th>
              </tr>
            </thead>
            <tbody>
              {c.rules.map((r, i) => {
                const live = counters?.get(ruleKey(tables.host, tables.netns, c.table, c.name, i)) ?? { pkts: r.pkts, bytes: r.bytes };
                const moved = live.pkts !== r.pkts;
                const hit = c.name === hitChain && ev?.ref?.row === i;
                return (
                  <tr key={i} className={`${hit ? 'hit' : ''}${moved ? ' moved' : ''}`} data-testid={`tables.rule.${c.name}.${i}`} aria-current={hit ? 'true' : undefined}>
                    <td className="pk">{live.pkts}</td>
                    <td className="by">{live.bytes}</td>
                    <td className="rt" title={r.text}>
                      {/* iptables pads its columns for an 80-column terminal; two spaces keep them apart here */}
                      {(r.text.startsWith(r.target) ? r.text : `${r.target}  ${r.text}`).replace(/ {3,}/g, '  ')}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ))}
    </div>
  );
}
