import { Background, BackgroundVariant, ReactFlow, ReactFlowProvider, ViewportPortal, useReactFlow, ConnectionMode } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { useEffect, useLayoutEffect, useMemo, useRef } from 'react';
import type { SimResult, Topology } from '../../sim/api-types.ts';
import { useMediaQuery } from '../media.ts';
import { defineKeys } from '../keys/keys.ts';
import { Orientation, useOrientation } from '../Orientation/Orientation.tsx';
import { STEP_MS, useStore, type HostDetailOverride } from '../store/store.ts';
import { follow } from './camera.ts';
import { edgeTypes } from './edges.tsx';
import { defaultDetail, layoutTopology, type TopologyLayout } from './layout.ts';
import { nodeTypes } from './nodes.tsx';
import { eventPlaces, pathParts, route, type Place } from './points.ts';
import './Topology.css';
import { innerStart } from '../../sim/net/edit.ts';
import type { Packet } from '../../sim/net/packet.ts';

/** The cluster as React Flow draws it, with the packet token moving along the trace. */
export function Topology() {
  return (
    <div className="topo-pane">
      <ReactFlowProvider>
        <TopologyBar />
        <TopologyFlow />
      </ReactFlowProvider>
    </div>
  );
}

const REDUCED = '(prefers-reduced-motion: reduce)';
/** The whole cluster in view, with a small margin. */
const FIT = { padding: 0.04, duration: 0 } as const;

/** The pane's title, legend and camera buttons: fit, follow the packet, every device. */
function TopologyBar() {
  const followOn = useStore((s) => s.followPacket);
  const allDevices = useStore((s) => s.allDevices);
  const { fitView, zoomIn, zoomOut } = useReactFlow();
  useEffect(
    () =>
      defineKeys([
        { id: 'topology.fit', keys: ['0'], label: 'Fit the whole cluster in view', group: 'Topology', views: ['debug'], run: () => void fitView({ padding: 0.04, duration: 250 }) },
        { id: 'topology.zoom-in', keys: ['+', '='], display: '+', label: 'Zoom in', group: 'Topology', views: ['debug'], run: () => void zoomIn({ duration: 150 }) },
        { id: 'topology.zoom-out', keys: ['-'], label: 'Zoom out', group: 'Topology', views: ['debug'], run: () => void zoomOut({ duration: 150 }) },
      ]),
    [fitView, zoomIn, zoomOut],
  );
  return (
    <div className="topo-bar">
      <h2 className="label">Topology</h2>
      {useOrientation() ? (
        <Orientation />
      ) : (
        <div className="topo-legend" aria-label="Legend">
          <span className="lg lg-under">underlay</span>
          <span className="lg lg-over">overlay: VXLAN, IPIP, UDP</span>
          <span className="lg lg-path">packet path</span>
        </div>
      )}
      <div className="topo-tools">
        <button
          type="button"
          className="tool-btn"
          aria-pressed={followOn}
          data-testid="topology.follow"
          title="The camera keeps the packet’s current hop in view (F)"
          onClick={() => useStore.getState().toggleFollow()}
        >
          Follow packet
        </button>
        <button
          type="button"
          className="tool-btn"
          aria-pressed={allDevices}
          data-testid="topology.all-devices"
          title="Draw every host with all its devices, or only the hosts the packet crosses (A)"
          onClick={() => useStore.getState().toggleAllDevices()}
        >
          All devices
        </button>
        <button type="button" className="tool-btn" data-testid="topology.fit" title="Fit the whole cluster in view (0)" onClick={() => void fitView({ padding: 0.04, duration: 250 })}>
          Fit
        </button>
      </div>
    </div>
  );
}

/** Hosts and namespaces the trace visits: they are drawn in detail, the others fold. */
function pathOf(r: SimResult): { hosts: Set<string>; ns: Set<string> } {
  const hosts = new Set<string>();
  const ns = new Set<string>();
  for (const e of r.trace.events) {
    hosts.add(e.host);
    ns.add(`${e.host}/${e.netns}`);
  }
  return { hosts, ns };
}

function TopologyFlow() {
  const result = useStore((s) => s.result);
  const overrides = useStore((s) => s.hostDetail);
  const allDevices = useStore((s) => s.allDevices);
  const topology = result?.topology;
  // every answer brings a new topology object; the same cluster and path (a scheduler or an edit
  // that changed no device) keep their layout, so React Flow has nothing to re-render or re-measure
  const path = useMemo(() => (result ? pathOf(result) : undefined), [result]);
  const shape = useMemo(() => (topology && path ? JSON.stringify([topology, [...path.ns], overrides, allDevices]) : ''), [topology, path, overrides, allDevices]);
  const layout = useMemo(() => {
    if (!topology || !path) return undefined;
    const auto = defaultDetail(topology, path.hosts);
    return layoutTopology(topology, { detail: (h) => overrideOf(overrides, h.name) ?? (allDevices ? 'full' : auto(h)), pathNs: path.ns });
    // eslint-disable-next-line react-hooks/exhaustive-deps -- `shape` stands for them
  }, [shape]);
  const dummies = useMemo(() => dummyDevices(topology), [topology]);
  // another cluster: the hosts opened or folded by hand were the old cluster's
  const hostNames = topology ? topology.hosts.map((h) => h.name).join(',') : '';
  useEffect(() => useStore.getState().resetHostDetail(), [hostNames]);
  const structure = layout ? layout.nodes.map((n) => `${n.id}@${n.position.x},${n.position.y}`).join(',') : '';
  const { fitView, getNodes } = useReactFlow();
  const fitted = useRef('');
  // a new layout is fitted once React Flow holds and has measured all its nodes (a fit before
  // that uses the old nodes' bounds); a few frames at most
  const count = layout?.nodes.length ?? 0;
  useEffect(() => {
    if (!structure || fitted.current === structure) return;
    fitted.current = structure;
    let frame = 0;
    const fit = (tries: number) => {
      frame = requestAnimationFrame(() => {
        const ns = getNodes();
        if (tries > 0 && (ns.length !== count || ns.some((n) => !n.measured?.width))) return fit(tries - 1);
        void fitView(FIT);
      });
    };
    fit(30);
    return () => cancelAnimationFrame(frame);
  }, [structure, count, fitView, getNodes]);
  // the pane changes size when messages come and go above it: fit the cluster again
  const paneRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = paneRef.current;
    if (!el) return;
    let last = '';
    let frame = 0;
    const ro = new ResizeObserver(([entry]) => {
      const r = entry?.contentRect;
      const size = r ? `${Math.round(r.width)}x${Math.round(r.height)}` : '';
      if (!r || !r.width || !r.height || size === last) return;
      const first = last === '';
      last = size;
      if (first) return;
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => void fitView(FIT));
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
      cancelAnimationFrame(frame);
    };
  }, [fitView, !!layout]);

  if (!layout || !result) return <EmptyTopology />;
  return (
    <div className="topo-flow" ref={paneRef}>
      <ReactFlow
        className="topo"
        nodes={layout.nodes}
        edges={layout.edges}
        nodeTypes={nodeTypes}
        edgeTypes={edgeTypes}
        colorMode="dark"
        connectionMode={ConnectionMode.Loose}
        nodesDraggable={false}
        nodesConnectable={false}
        nodesFocusable={false}
        edgesFocusable={false}
        elementsSelectable={false}
        minZoom={0.15}
        maxZoom={2.5}
        fitView
        fitViewOptions={FIT}
        onNodeClick={(_, node) => {
          const d = node.data;
          const s = useStore.getState();
          // a card or a folded list of pods opens into the host's devices
          if (d.kind === 'host' && d.detail === 'card') return s.setHostDetail(d.host.name, 'full');
          if (d.kind === 'fold') return s.setHostDetail(d.host, 'full');
          // clicking a device, pod or host shows its tables and opens its shell
          const where = d.kind === 'device' ? { host: d.host, netns: d.netns } : d.kind === 'pod' ? { host: d.host, netns: d.ns.name } : d.kind === 'host' ? { host: d.host.name, netns: 'root' } : undefined;
          if (!where) return;
          s.setTablesNs(where);
          s.setTerminalTarget(where.netns === 'root' ? where.host : where.netns);
        }}
        aria-label="Cluster topology: hosts, namespaces, devices and links"
      >
        <Background variant={BackgroundVariant.Dots} gap={22} size={1} color="#1d2633" />
        <ViewportPortal>
          <PacketLayer result={result} layout={layout} dummies={dummies} paneRef={paneRef} />
        </ViewportPortal>
      </ReactFlow>
    </div>
  );
}

function overrideOf(o: Readonly<Record<string, HostDetailOverride>>, host: string): HostDetailOverride | undefined {
  return o[host];
}

function EmptyTopology() {
  const failed = useStore((s) => s.error !== null && !s.pending);
  return <div className="topo-empty muted">{failed ? 'No cluster to show: the simulation answered with the error above.' : 'Computing the cluster…'}</div>;
}

/** The dummy device (kube-ipvs0) of each `host/netns`, where the token shows IPVS at work. */
function dummyDevices(topology: Topology | undefined): Map<string, string> {
  const m = new Map<string, string>();
  for (const h of topology?.hosts ?? []) for (const ns of h.namespaces) for (const d of ns.devices) if (d.kind === 'dummy') m.set(`${h.name}/${ns.name}`, d.name);
  return m;
}

/**
 * The packet on the drawing: its whole path (travelled, the hop just made, still to come), the
 * token moving along the links it uses, and the camera that keeps the hop in view.
 */
function PacketLayer({ result, layout, dummies, paneRef }: { result: SimResult; layout: TopologyLayout; dummies: ReadonlyMap<string, string>; paneRef: React.RefObject<HTMLDivElement | null> }) {
  const events = result.trace.events;
  const cursor = useStore((s) => s.cursor);
  const places = useMemo(() => eventPlaces(events, result.topology, layout, dummies), [events, result.topology, layout, dummies]);
  const parts = useMemo(() => pathParts(events, places, cursor), [events, places, cursor]);
  useFollowCamera(places, cursor, paneRef);
  const ev = events[cursor];
  if (!ev || !places[cursor]) return null;
  return (
    <>
      <svg className="pkt-path" aria-hidden="true" data-testid="topology.path">
        {parts.rest && <path className="pkt-rest" d={parts.rest} />}
        {parts.done && <path className="pkt-done" d={parts.done} />}
        {parts.hop && <path className="pkt-hop" d={parts.hop} />}
      </svg>
      <Token places={places} cursor={cursor} wrap={wrapOf(ev.packet)} dropped={ev.kind === 'drop'} />
    </>
  );
}

/** How long the token takes for one hop: most of a step at the playback speed, at most 0.55 s. */
function hopMs(speed: number): number {
  return Math.min(550, (STEP_MS / speed) * 0.7);
}

/** The token: moves along `route` from the last place to the new one (one step), else jumps. */
/** What wraps an encapsulated packet, for the token's tag: a VXLAN header, an IPIP outer header, flanneld's UDP datagram. */
function wrapOf(packet: Packet): 'VXLAN' | 'IPIP' | 'UDP' | undefined {
  const inner = innerStart(packet);
  if (inner < 0) return undefined;
  if (packet.some((l) => l.type === 'vxlan')) return 'VXLAN';
  return packet[inner - 1]?.type === 'udp' ? 'UDP' : 'IPIP';
}

function Token({ places, cursor, wrap, dropped }: { places: readonly Place[]; cursor: number; wrap: 'VXLAN' | 'IPIP' | 'UDP' | undefined; dropped: boolean }) {
  const ref = useRef<HTMLDivElement>(null);
  const last = useRef<{ cursor: number; places: readonly Place[] } | null>(null);
  // the running glide (getAnimations() would flush style on every step)
  const glide = useRef<Animation | null>(null);
  const speed = useStore((s) => s.speed);
  const instant = useStore((s) => s.instant);
  const reduced = useMediaQuery(REDUCED);
  useLayoutEffect(() => {
    const el = ref.current;
    const to = places[cursor];
    if (!el || !to) return;
    const prev = last.current;
    last.current = { cursor, places };
    const end = `translate(${to.x}px, ${to.y}px)`;
    const from = prev && prev.places === places && Math.abs(prev.cursor - cursor) === 1 ? places[prev.cursor] : undefined;
    glide.current?.cancel();
    glide.current = null;
    el.style.transform = end;
    if (!from || instant || reduced || typeof el.animate !== 'function') return;
    const pts = route(from, to);
    if (pts.length < 2) return;
    // keyframe offsets by distance, so the token moves at one speed along every leg
    const legs = pts.slice(1).map((p, i) => Math.hypot(p.x - pts[i]!.x, p.y - pts[i]!.y));
    const total = legs.reduce((a, b) => a + b, 0) || 1;
    let run = 0;
    const frames = pts.map((p, i) => {
      if (i > 0) run += legs[i - 1]!;
      return { transform: `translate(${p.x}px, ${p.y}px)`, offset: run / total };
    });
    glide.current = el.animate(frames, { duration: hopMs(speed), easing: 'ease-in-out' });
  }, [places, cursor, speed, instant, reduced]);
  return (
    <div ref={ref} className="token-wrap" data-testid="topology.token" aria-hidden="true">
      <div className={`token-shell${wrap ? ' on' : ''}`} />
      <div className={`token-core${dropped ? ' dropped' : ''}`} />
      {wrap && <div className="token-tag">{wrap}</div>}
    </div>
  );
}

/**
 * Keeps the current hop and its neighbours (the places before and after it) in view while
 * "Follow packet" is on: pans — and zooms out only if they cannot fit — smoothly, or at once
 * under prefers-reduced-motion and instant playback.
 */
function useFollowCamera(places: readonly Place[], cursor: number, paneRef: React.RefObject<HTMLDivElement | null>): void {
  const on = useStore((s) => s.followPacket);
  const speed = useStore((s) => s.speed);
  const instant = useStore((s) => s.instant);
  const reduced = useMediaQuery(REDUCED);
  const { getViewport, setViewport } = useReactFlow();
  // the pane's size as the resize observer last saw it: no layout read on a step
  const size = useRef({ w: 0, h: 0 });
  useEffect(() => {
    const pane = paneRef.current;
    if (!pane) return;
    const ro = new ResizeObserver(([e]) => {
      if (e) size.current = { w: e.contentRect.width, h: e.contentRect.height };
    });
    ro.observe(pane);
    return () => ro.disconnect();
  }, [paneRef]);
  // the camera moves on a step, and only then: what else it needs is read when it moves
  const now = useRef({ getViewport, setViewport, speed, instant, reduced });
  now.current = { getViewport, setViewport, speed, instant, reduced };
  // a new trace or layout is fitted whole (TopologyFlow); the camera follows steps within one
  const shown = useRef(places);
  useEffect(() => {
    const here = places[cursor];
    if (shown.current !== places) {
      shown.current = places;
      return;
    }
    if (!on || !here || !size.current.w) return;
    const pts = [places[cursor - 1], here, places[cursor + 1]].filter((p): p is Place => !!p);
    const c = now.current;
    const next = follow(c.getViewport(), size.current, pts);
    if (next) void c.setViewport(next, { duration: c.instant || c.reduced ? 0 : Math.max(120, hopMs(c.speed)) });
  }, [on, places, cursor]);
}
