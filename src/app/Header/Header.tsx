import { useEffect, useMemo, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { CALICO_BACKENDS, cniOf, FLANNEL_BACKENDS, type FlowKind, type FlowSpec, type IpvsScheduler } from '../../sim/api-types.ts';
import { simClient } from '../boot.ts';
import { useStore, type View } from '../store/store.ts';
import { ImportButtons } from '../Import/ImportBar.tsx';
import './Header.css';

const VIEWS: readonly { id: View; label: string; title: string }[] = [
  { id: 'debug', label: 'Debugger', title: 'Step through the trace' },
  { id: 'compare', label: 'Compare', title: 'The same packet in two modes, side by side' },
  { id: 'scale', label: 'Scale', title: 'kube-proxy’s rules as the number of services grows' },
];

const SCHEDULERS: readonly IpvsScheduler[] = ['rr', 'wrr', 'lc', 'sh', 'dh', 'mh'];
const sameFlow = (a: FlowSpec, b: FlowSpec) => a.from === b.from && a.to === b.to && a.proto === b.proto && a.kind === b.kind && a.size === b.size && a.df === b.df;

/**
 * Arrow keys move the focus along a row of buttons that is one tab stop (the pressed button
 * holds it): a row of three choices costs one Tab, not three.
 */
function rove(e: React.KeyboardEvent<HTMLElement>): void {
  if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
  const buttons = [...e.currentTarget.querySelectorAll<HTMLButtonElement>('button:not(:disabled)')];
  const i = buttons.indexOf(e.target as HTMLButtonElement);
  if (i < 0) return;
  e.preventDefault();
  buttons[(i + (e.key === 'ArrowRight' ? 1 : buttons.length - 1)) % buttons.length]?.focus();
}

export function Header() {
  return (
    <header className="header" role="banner">
      <div className="header-row">
        <h1 className="brand">
          <img src="/favicon.svg" alt="" width={20} height={20} />
          <span className="brand-text">kube-packet-lab</span>
        </h1>
        <ViewTabs />
        <ClusterPicker />
        <ImportButtons />
        <PresetPicker />
        <div className="header-spacer" />
        {/* the modes and the keys button wrap to the next row together: never a lone "?" */}
        <div className="header-end">
          <ModePicker />
          <button type="button" className="btn keys-btn" data-testid="keys.open" aria-label="Keys (?)" title="Every keyboard shortcut (?)" onClick={() => useStore.getState().setKeySheet(true)}>
            ?
          </button>
        </div>
      </div>
      <FlowEditor />
    </header>
  );
}

/** Debugger, Compare, Scale: what the main area shows. */
function ViewTabs() {
  const view = useStore((s) => s.view);
  const setView = useStore((s) => s.setView);
  return (
    <nav className="views" aria-label="Views" onKeyDown={rove}>
      {VIEWS.map((v) => (
        <button
          key={v.id}
          type="button"
          className="view-tab"
          tabIndex={view === v.id ? 0 : -1}
          aria-current={view === v.id ? 'page' : undefined}
          data-testid={`view.${v.id}`}
          title={v.title}
          onClick={() => setView(v.id)}
        >
          {v.label}
        </button>
      ))}
    </nav>
  );
}

function ClusterPicker() {
  const clusters = useStore((s) => s.defaults?.clusters);
  // a user's file shows under its name; choosing a built-in one replaces it
  const own = useStore((s) => (s.scenario.cluster !== undefined ? (s.clusterName ?? 'your cluster') : null));
  const preset = useStore((s) => (s.scenario.cluster !== undefined ? '' : (s.scenario.preset ?? s.defaults?.scenario.preset ?? '')));
  const known = !!clusters?.some((c) => c.id === preset);
  const shown = clusters?.find((c) => c.id === preset);
  return (
    <label className="field">
      <span className="label">Cluster</span>
      <select
        className="select cluster"
        data-testid="scenario.cluster"
        aria-label="Cluster"
        title={own ?? (shown ? `${shown.label}${shown.source ? ` — ${shown.source}` : ''}` : preset)}
        value={preset}
        onChange={(e) => void simClient().switchCluster(e.target.value)}
      >
        {clusters?.map((c) => (
          <option key={c.id} value={c.id} title={c.source}>
            {c.label}
          </option>
        ))}
        {!known && <option value={preset}>{own ?? (preset || 'cluster file')}</option>}
      </select>
    </label>
  );
}

function PresetPicker() {
  const presets = useStore((s) => s.result?.presets);
  const flow = useStore((s) => s.flow);
  const setFlow = useStore((s) => s.setFlow);
  const current = presets?.find((p) => sameFlow(p.flow, flow));
  return (
    <label className="field">
      <span className="label">Flow</span>
      <select
        className="select preset"
        data-testid="flow.preset"
        aria-label="Flow preset"
        title={current?.label ?? 'custom flow'}
        value={current?.id ?? ''}
        onChange={(e) => {
          const p = presets?.find((x) => x.id === e.target.value);
          if (p) setFlow(p.flow);
        }}
      >
        {!current && <option value="">custom flow</option>}
        {presets?.map((p) => (
          <option key={p.id} value={p.id}>
            {p.label}
          </option>
        ))}
      </select>
    </label>
  );
}

/**
 * A segmented choice, one Tab stop whose ← → move between its options. `shared`: it is one of
 * several groups that make a single choice (the datapath): the container roves across them all,
 * and only `tabStop` decides whether this group holds the stop when none of its options is on.
 */
function Seg<T extends string>(props: { name: string; testid: string; value: T | undefined; options: readonly T[]; onChange: (v: T) => void; disabled?: string; optionTestid?: string; shared?: { tabStop: boolean } }) {
  const holdsStop = props.shared ? props.shared.tabStop : true;
  return (
    <div className="seg" role="group" aria-label={props.name} data-testid={props.testid} title={props.disabled} onKeyDown={props.shared ? undefined : rove}>
      {props.options.map((o, i) => (
        <button
          key={o}
          type="button"
          tabIndex={props.value === o || (props.value === undefined && holdsStop && i === 0) ? 0 : -1}
          aria-pressed={props.value === o}
          disabled={!!props.disabled}
          data-testid={`${props.optionTestid ?? props.testid}.${o}`}
          onClick={() => props.value !== o && props.onChange(o)}
        >
          {o}
        </button>
      ))}
    </div>
  );
}

function ModePicker() {
  // the modes in force: what the user asked for, else what the cluster file says
  const { proxy, backend, scheduler } = useStore(
    useShallow((s) => ({
      proxy: s.scenario.modes.proxy ?? s.result?.modes.proxy,
      backend: s.scenario.modes.backend ?? s.result?.modes.backend,
      scheduler: s.scenario.modes.scheduler ?? s.result?.modes.scheduler,
    })),
  );
  const setModes = useStore((s) => s.setModes);
  // a Docker host alone has no kube-proxy and no flannel: the switches would change nothing
  const k8s = useStore((s) => s.result?.topology.hosts.some((h) => h.role === 'master' || h.role === 'node') ?? true);
  const off = k8s ? undefined : 'This cluster has no Kubernetes nodes: no kube-proxy, no flannel';
  return (
    <div className="modes">
      <div className="field">
        <span className="label" id="lbl-proxy">
          kube-proxy
        </span>
        <Seg name="kube-proxy mode" testid="mode.proxy" value={proxy} options={['iptables', 'ipvs', 'nftables'] as const} onChange={(v) => setModes({ proxy: v })} disabled={off} />
        {proxy === 'ipvs' && k8s && (
          <select
            className="select"
            aria-label="ipvs scheduler"
            data-testid="mode.scheduler"
            value={scheduler ?? 'rr'}
            onChange={(e) => setModes({ scheduler: e.target.value as IpvsScheduler })}
          >
            {SCHEDULERS.map((x) => (
              <option key={x} value={x}>
                {x}
              </option>
            ))}
          </select>
        )}
      </div>
      {/* the network between nodes: flannel's backends or Calico's IPPool ipipMode, one choice across both */}
      {/* one Tab stop for both groups: ← → go on from flannel's last option to Calico's first */}
      <div className="field" data-testid="mode.backend" onKeyDown={rove}>
        <span className="label">flannel</span>
        <Seg name="flannel backend" testid="mode.backend.flannel" optionTestid="mode.backend" value={backend && cniOf(backend) === 'flannel' ? backend : undefined} options={FLANNEL_BACKENDS} onChange={(v) => setModes({ backend: v })} disabled={off} shared={{ tabStop: !backend || cniOf(backend) === 'flannel' }} />
        <span className="label">calico</span>
        <Seg name="calico datapath" testid="mode.backend.calico" optionTestid="mode.backend" value={backend && cniOf(backend) === 'calico' ? backend : undefined} options={CALICO_BACKENDS} onChange={(v) => setModes({ backend: v })} disabled={off} shared={{ tabStop: false }} />
      </div>
    </div>
  );
}

function ShareButton() {
  const [copied, setCopied] = useState(false);
  const tooBig = useStore((s) => s.linkTooBig);
  useEffect(() => {
    if (!copied) return;
    const t = setTimeout(() => setCopied(false), 1600);
    return () => clearTimeout(t);
  }, [copied]);
  return (
    <button
      type="button"
      className="btn"
      data-testid="share.copy"
      aria-label="Copy a link to this exact state"
      disabled={tooBig}
      title={tooBig ? 'Your cluster is too big for a link: use Save lab, and share the file' : 'The link holds the cluster, modes, flow, edits and step'}
      onClick={() => {
        void navigator.clipboard?.writeText(window.location.href).then(
          () => setCopied(true),
          () => setCopied(true),
        );
      }}
    >
      {copied ? 'Link copied' : 'Copy link'}
    </button>
  );
}

function FlowEditor() {
  const flow = useStore((s) => s.flow);
  const topology = useStore((s) => s.result?.topology);
  const setFlow = useStore((s) => s.setFlow);
  const [draft, setDraft] = useState<FlowSpec>(flow);
  useEffect(() => setDraft(flow), [flow]);

  const endpoints = useMemo(() => {
    const sources: { value: string; label: string }[] = [];
    const targets: string[] = [];
    for (const h of topology?.hosts ?? []) {
      sources.push({ value: h.name, label: `${h.name} (${h.role}${h.ip ? ` ${h.ip}` : ''})` });
      if (h.ip) targets.push(h.ip);
      for (const ns of h.namespaces) {
        if (ns.kind === 'root') continue;
        sources.push({ value: ns.name, label: `${ns.name}${ns.kind === 'container' ? ' (container)' : ''}${ns.ip ? ` (${ns.ip})` : ''}` });
        if (ns.ip) targets.push(ns.ip);
      }
    }
    return { sources, targets };
  }, [topology]);
  const dirty = !sameFlow(draft, flow);
  const apply = () => setFlow({ ...draft, to: draft.to.trim(), proto: draft.kind === 'connect' ? draft.proto : draft.kind === 'ping' ? 'icmp' : draft.proto });

  return (
    <form
      className="header-row flow-editor"
      aria-label="Flow"
      onSubmit={(e) => {
        e.preventDefault();
        apply();
      }}
    >
      <label className="field">
        <span className="label">From</span>
        <select className="select" aria-label="Source" data-testid="flow.from" title={endpoints.sources.find((x) => x.value === draft.from)?.label ?? draft.from} value={draft.from} onChange={(e) => setDraft({ ...draft, from: e.target.value })}>
          {!endpoints.sources.some((x) => x.value === draft.from) && <option value={draft.from}>{draft.from}</option>}
          {endpoints.sources.map((x) => (
            <option key={x.value} value={x.value}>
              {x.label}
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        <span className="label">To</span>
        <input
          className="input mono"
          aria-label="Destination (IP[:port], pod or host)"
          data-testid="flow.to"
          list="flow-targets"
          value={draft.to}
          spellCheck={false}
          onChange={(e) => setDraft({ ...draft, to: e.target.value })}
        />
        <datalist id="flow-targets">
          {endpoints.targets.map((t) => (
            <option key={t} value={t} />
          ))}
        </datalist>
      </label>
      <label className="field">
        <span className="label">Proto</span>
        <select className="select" aria-label="Protocol" data-testid="flow.proto" value={draft.proto} onChange={(e) => setDraft({ ...draft, proto: e.target.value as FlowSpec['proto'] })}>
          <option value="tcp">tcp</option>
          <option value="udp">udp</option>
          <option value="icmp">icmp</option>
        </select>
      </label>
      <label className="field">
        <span className="label">Kind</span>
        <select className="select" aria-label="Kind of flow" data-testid="flow.kind" value={draft.kind} onChange={(e) => setDraft({ ...draft, kind: e.target.value as FlowKind })}>
          <option value="connect">connect</option>
          <option value="ping">ping</option>
          <option value="traceroute">traceroute</option>
        </select>
      </label>
      <SizeFields draft={draft} setDraft={setDraft} />
      <button type="submit" className="btn primary" data-testid="flow.apply" disabled={!dirty || !sizeOk(draft)} aria-label="Run this flow">
        Run flow
      </button>
      <div className="verdict-group">
        <Verdict />
        <ShareButton />
      </div>
    </form>
  );
}

const sizeOk = (f: FlowSpec) => f.size === undefined || (Number.isInteger(f.size) && f.size >= 0 && f.size <= 65507);

/**
 * A sized flow, for MTU experiments: the payload (`ping -s`, the UDP datagram's data) and the
 * Don't Fragment bit (`ping -M do|dont`). A TCP handshake carries no payload.
 */
function SizeFields({ draft, setDraft }: { draft: FlowSpec; setDraft: (f: FlowSpec) => void }) {
  const [text, setText] = useState(draft.size === undefined ? '' : String(draft.size));
  useEffect(() => setText(draft.size === undefined ? '' : String(draft.size)), [draft.size]);
  if (draft.kind === 'traceroute' || (draft.kind === 'connect' && draft.proto === 'tcp')) return null;
  const bad = text.trim() !== '' && !sizeOk({ ...draft, size: Number(text) });
  return (
    <>
      <label className="field">
        <span className="label">Size</span>
        <input
          className="input mono size-input"
          data-testid="flow.size"
          inputMode="numeric"
          aria-label="Payload bytes (ping -s; empty: 56 for ping, 32 for UDP)"
          aria-invalid={bad}
          placeholder={draft.kind === 'ping' || draft.proto === 'icmp' ? '56' : '32'}
          title={bad ? 'The payload must be a whole number of bytes from 0 to 65507' : 'Payload bytes (ping -s)'}
          value={text}
          onChange={(e) => {
            setText(e.target.value);
            const v = e.target.value.trim();
            const { size: _size, ...rest } = draft;
            setDraft(v === '' ? rest : { ...rest, size: Number(v) });
          }}
        />
      </label>
      <label className="field">
        <span className="label">DF</span>
        <select
          className="select"
          data-testid="flow.df"
          aria-label="Don't Fragment bit (ping -M do or dont)"
          value={draft.df === undefined ? '' : draft.df ? 'do' : 'dont'}
          onChange={(e) => {
            const { df: _df, ...rest } = draft;
            setDraft(e.target.value === '' ? rest : { ...rest, df: e.target.value === 'do' });
          }}
        >
          <option value="">default</option>
          <option value="do">-M do (set)</option>
          <option value="dont">-M dont (clear)</option>
        </select>
      </label>
    </>
  );
}

function Verdict() {
  const { verdict, reason, pending, packets } = useStore(
    useShallow((s) => ({
      verdict: s.result?.trace.verdict,
      reason: s.result?.trace.reason,
      pending: s.pending,
      packets: s.result?.trace.packets.length ?? 0,
    })),
  );
  const traceroute = useStore((s) => s.flow.kind === 'traceroute');
  // the request ends where the flow went; a traceroute's first probe dies at the first hop, so
  // its outcome is where the last probe ended, after as many probes as it took
  const last = useStore((s) => {
    const ps = s.result?.trace.packets;
    return traceroute ? ps?.filter((p) => p.role === 'probe').at(-1) : ps?.find((p) => p.packetId === 0);
  });
  const probes = useStore((s) => (traceroute ? (s.result?.trace.packets.filter((p) => p.role === 'probe').length ?? 0) : 0));
  const where = last ? `${last.host}${last.netns !== 'root' ? ` / ${last.netns}` : ''}` : '';
  // a traceroute that does not arrive dies where its last probe died, for that probe's reason
  // (the trace's own reason is the first probe's TTL expiry, which is how traceroute works)
  const why = traceroute && last?.verdict === 'dropped' ? (last.reason ?? reason) : reason;
  const text = verdict === 'delivered' ? `delivered at ${where}` : `dropped${where ? ` at ${where}` : ''}${why ? `: ${why}` : ''}`;
  return (
    <div className="verdict" data-testid="trace.verdict" aria-live="off">
      {pending && <span className="spinner" aria-label="computing the trace" role="status" />}
      {verdict && (
        <span className={`badge ${verdict}`} title={text}>
          {text}
        </span>
      )}
      {packets > 1 && <span className="muted">{traceroute && probes > 0 ? `${probes} probes, ${packets} packets` : `${packets} packets`}</span>}
    </div>
  );
}
