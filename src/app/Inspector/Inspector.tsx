import { useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { NamespaceTables } from '../../sim/api-types.ts';
import type { TraceEvent } from '../../sim/trace/event.ts';
import { simClient } from '../boot.ts';
import { errorText } from '../store/client.ts';
import { refText } from '../store/derive.ts';
import { kindLabel, netnsLabel, ruleNumber } from '../store/describe.ts';
import { useCurrentEvent, useStepAtCursor, useStepChanges } from '../store/hooks.ts';
import { useStore } from '../store/store.ts';
import { ChainView } from './ChainView.tsx';
import { PacketView } from './PacketView.tsx';
import { WhyEndpoint } from './WhyEndpoint.tsx';
import './Inspector.css';

/** Everything about the step at the cursor: where, which lookup matched, why, and the packet. */
export function Inspector() {
  const ev = useCurrentEvent();
  const step = useStepAtCursor();
  const { cursor, events, level } = useStore(useShallow((s) => ({ cursor: s.cursor, events: s.result?.trace.events.length ?? 0, level: s.level })));
  return (
    <div className="inspector" data-testid="inspector">
      <div className="insp-head">
        <h2 className="insp-title">
          <span className="label">Step</span>{' '}
          <span className="mono" data-testid="inspector.step" title={`event ${cursor + 1} of ${events} in the whole trace · ${level} level`}>
            {step.total ? `${step.position >= 0 ? step.position + 1 : '·'} / ${step.total}` : '–'}
          </span>
          {ev && <span className={`kind-pill k-${ev.kind}`}>{kindLabel(ev.kind)}</span>}
        </h2>
        <PcapButton />
      </div>
      {ev ? <StepDetails ev={ev} group={step.group} /> : <EmptyInspector />}
    </div>
  );
}

function EmptyInspector() {
  const failed = useStore((s) => s.error !== null && !s.pending);
  return <p className="insp-empty">{failed ? 'No trace: fix the cluster, flow or edits named in the message above.' : 'Computing the trace…'}</p>;
}

function StepDetails({ ev, group }: { ev: TraceEvent; group: readonly [number, number] }) {
  const isNf = ev.kind === 'rule' || ev.kind === 'policy';
  const changed = useStepChanges(ev, group);
  const tables = useStore((s) => s.result?.tables);
  const nsKind = useStore((s) => s.result?.topology.hosts.find((h) => h.name === ev.host)?.namespaces.find((n) => n.name === ev.netns)?.kind);
  const entry = tables ? refText(ev, tables) : ev.ref?.text;
  return (
    <>
      <section className="insp-section" aria-label="Where">
        <dl className="kv" data-testid="inspector.location">
          <dt>host</dt>
          <dd data-testid="inspector.host">{ev.host}</dd>
          <dt>netns</dt>
          <dd data-testid="inspector.netns">{netnsLabel(ev.netns, nsKind)}</dd>
          {ev.dev && (
            <>
              <dt>device</dt>
              <dd className="mono" data-testid="inspector.dev">
                {ev.dev}
              </dd>
            </>
          )}
          {ev.hook && (
            <>
              <dt>hook</dt>
              <dd className="mono">{ev.hook}</dd>
            </>
          )}
          {isNf && ev.ref?.nfTable && (
            <>
              <dt>table / chain</dt>
              <dd className="mono" data-testid="inspector.chain">
                {ev.ref.nfTable} / {ev.ref.chain}
                {ruleNumber(ev) !== undefined && ` · rule ${ruleNumber(ev)}`}
              </dd>
            </>
          )}
          {ev.verdict && (
            <>
              <dt>{isNf ? 'verdict' : 'result'}</dt>
              <dd className="mono verdict-text" data-testid="inspector.verdict">
                {ev.verdict}
              </dd>
            </>
          )}
          {ev.reason && (
            <>
              <dt>reason</dt>
              <dd className="mono bad" data-testid="inspector.reason">
                {ev.reason}
              </dd>
            </>
          )}
        </dl>
        {ev.ref && entry && (
          <div className="lookup">
            <div className="label">{ev.ref.table === 'iptables' || ev.ref.table === 'nftables' ? 'rule' : `${ev.ref.table} entry`}{ev.ref.row !== undefined && ev.ref.table !== 'iptables' && ev.ref.table !== 'nftables' ? ` · row ${ev.ref.row + 1}` : ''}</div>
            <pre className="mono lookup-text" data-testid="inspector.ref">
              {entry}
            </pre>
          </div>
        )}
        <p className="explanation" data-testid="inspector.explanation">
          {ev.explanation}
        </p>
        {group[0] < group[1] && <GroupSummary group={group} />}
      </section>
      {(ev.kind === 'ipvs' || (ev.kind === 'nat' && ev.ref?.table === 'ipvs')) && tables && <IpvsView ev={ev} tables={tables} />}
      <WhyEndpoint group={group} />
      <ChainView group={group} />
      <PacketView ev={ev} changed={changed} />
    </>
  );
}

const SCHEDULER: Readonly<Record<string, string>> = {
  rr: 'round-robin',
  wrr: 'weighted round-robin',
  lc: 'least-connection',
  wlc: 'weighted least-connection',
  sh: 'source hashing',
  dh: 'destination hashing',
  mh: 'maglev hashing',
};

/**
 * The IPVS virtual server the packet hit, as `ipvsadm -Ln` lists it, with the real server the
 * scheduler chose marked (kube-proxy ipvs mode: the ClusterIP is local on kube-ipvs0, so the
 * packet reaches INPUT and ip_vs_in rewrites it there).
 */
function IpvsView({ ev, tables }: { ev: TraceEvent; tables: readonly NamespaceTables[] }) {
  const t = tables.find((x) => x.host === ev.host && x.netns === ev.netns);
  const row = ev.ref?.row;
  const block = row !== undefined ? t?.ipvs[row] : undefined;
  const vs = (ev.ref?.text ?? block?.split('\n')[0] ?? '').trim();
  // `TCP  10.43.6.58:80 sh [persistent …]`: protocol, address, scheduler
  const scheduler = vs.split(/\s+/)[2] ?? '';
  const chosen = ev.kind === 'ipvs' ? ev.verdict : ev.changed.find((c) => c.field.endsWith('dst'))?.to?.toString();
  const lines = (block ?? vs).split('\n');
  return (
    <section className="insp-section ipvs-view" aria-label="IPVS virtual server" data-testid="inspector.ipvs">
      <h3 className="insp-h">
        IPVS virtual server{scheduler && <span className="muted"> · scheduler {scheduler}{SCHEDULER[scheduler] ? ` (${SCHEDULER[scheduler]})` : ''}</span>}
      </h3>
      <pre className="mono ipvs-lines">
        {lines.map((l, i) => {
          const real = /->\s+(\S+)/.exec(l)?.[1];
          // the ipvs step names `ip:port`, the NAT step after it only the new address
          const hit = !!chosen && !!real && (real === chosen || real.startsWith(`${chosen}:`));
          return (
            <div key={i} className={i === 0 ? 'vs' : hit ? 'rs chosen' : 'rs'} data-testid={i === 0 ? 'inspector.ipvs.vs' : hit ? 'inspector.ipvs.chosen' : undefined}>
              {/* ipvsadm pads for 80 columns; two spaces keep the columns apart in a narrow panel */}
              {l.trimEnd().replace(/(\S) {3,}/g, '$1  ')}
              {hit && <span className="ipvs-mark"> ← chosen</span>}
            </div>
          );
        })}
      </pre>
      {chosen && (
        <p className="ipvs-chosen">
          real server <span className="mono">{chosen}</span>
          {!block && <span className="muted"> (the virtual server's full listing is not in the tables yet)</span>}
        </p>
      )}
    </section>
  );
}

/** A coarse step stands for finer ones: say which, and open them in place. */
function GroupSummary({ group }: { group: readonly [number, number] }) {
  const events = useStore((s) => s.result?.trace.events);
  const toggle = useStore((s) => s.toggleExpanded);
  if (!events) return null;
  const inner = events.slice(group[0], group[1]);
  const counts = new Map<string, number>();
  for (const e of inner) counts.set(kindLabel(e.kind), (counts.get(kindLabel(e.kind)) ?? 0) + 1);
  const what = [...counts].map(([k, n]) => (n > 1 ? `${n}× ${k}` : k)).join(', ');
  return (
    <p className="group-summary" data-testid="inspector.group">
      <span className="muted">
        This step stands for {inner.length} finer step{inner.length === 1 ? '' : 's'}: {what}.
      </span>{' '}
      <button type="button" className="btn small" data-testid="inspector.group.expand" onClick={() => toggle(group[1])}>
        show them
      </button>
    </p>
  );
}

function PcapButton() {
  const ready = useStore((s) => s.shown !== null);
  const [busy, setBusy] = useState(false);
  return (
    <button
      type="button"
      className="btn"
      data-testid="inspector.pcap"
      aria-label="Download the trace as a pcap file"
      title="Every frame the trace put on a wire, for Wireshark or tshark"
      disabled={!ready || busy}
      onClick={async () => {
        setBusy(true);
        const r = await simClient().tracePcap();
        setBusy(false);
        if (!r.ok) {
          useStore.setState({ error: errorText(r.error) });
          return;
        }
        const url = URL.createObjectURL(new Blob([r.value as Uint8Array<ArrayBuffer>], { type: 'application/vnd.tcpdump.pcap' }));
        const a = document.createElement('a');
        a.href = url;
        a.download = 'kube-packet-lab.pcap';
        document.body.appendChild(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(url), 10_000);
      }}
    >
      <svg viewBox="0 0 24 24" width="14" height="14" aria-hidden="true">
        <path d="M12 4v11m0 0l-4-4m4 4l4-4M5 19h14" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round" />
      </svg>
      pcap
    </button>
  );
}
