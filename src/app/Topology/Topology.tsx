import { Background, BackgroundVariant, Controls, ReactFlow, ReactFlowProvider, ViewportPortal, useReactFlow, ConnectionMode } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { domAnimation, LazyMotion, m, useReducedMotion } from 'motion/react';
import { useEffect, useMemo, useRef } from 'react';
import type { Topology } from '../../sim/api-types.ts';
import { STEP_MS, useStore } from '../store/store.ts';
import { edgeTypes } from './edges.tsx';
import { layoutTopology } from './layout.ts';
import { nodeTypes } from './nodes.tsx';
import { eventPoints } from './points.ts';
import './Topology.css';
import { innerStart } from '../../sim/net/edit.ts';

/** The cluster as React Flow draws it, with the packet token moving along the trace. */
export function Topology() {
  return (
    <div className="topo-pane">
      <div className="topo-bar">
        <h2 className="label">Topology</h2>
        <div className="topo-legend" aria-label="Legend">
          <span className="lg lg-under">underlay: LAN, veth, bridge port</span>
          <span className="lg lg-over">overlay: VXLAN, IPIP or UDP tunnel</span>
          <span className="lg lg-pkt">packet</span>
        </div>
        <span className="hint">drag to pan · scroll to zoom</span>
      </div>
      <ReactFlowProvider>
        <TopologyFlow />
      </ReactFlowProvider>
    </div>
  );
}

function TopologyFlow() {
  const topology = useStore((s) => s.result?.topology);
  // every answer brings a new topology object; the same cluster (a flow, scheduler or edit that
  // changed no device) keeps its layout, so React Flow has nothing to re-render or re-measure
  const shape = useMemo(() => (topology ? JSON.stringify(topology) : ''), [topology]);
  const stable = useMemo(() => topology, [shape]);
  const layout = useMemo(() => (stable ? layoutTopology(stable) : undefined), [stable]);
  const dummies = useMemo(() => dummyDevices(stable), [stable]);
  const structure = layout ? layout.nodes.map((n) => n.id).join(',') : '';
  const { fitView } = useReactFlow();
  const fitted = useRef('');
  useEffect(() => {
    if (!structure || fitted.current === structure) return;
    fitted.current = structure;
    // after React Flow has measured the new nodes
    requestAnimationFrame(() => void fitView({ padding: 0.06, duration: 0 }));
  }, [structure, fitView]);
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
      frame = requestAnimationFrame(() => void fitView({ padding: 0.06, duration: 0 }));
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
      cancelAnimationFrame(frame);
    };
  }, [fitView, !!layout]);

  if (!layout) return <EmptyTopology />;
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
        fitViewOptions={{ padding: 0.06 }}
        onNodeClick={(_, node) => {
          // clicking a device, pod or host shows its tables and opens its shell
          const d = node.data;
          const where = d.kind === 'device' ? { host: d.host, netns: d.netns } : d.kind === 'pod' ? { host: d.host, netns: d.ns.name } : d.kind === 'host' ? { host: d.host.name, netns: 'root' } : undefined;
          if (!where) return;
          const s = useStore.getState();
          s.setTablesNs(where);
          s.setTerminalTarget(where.netns === 'root' ? where.host : where.netns);
        }}
        aria-label="Cluster topology: hosts, namespaces, devices and links"
      >
        <Background variant={BackgroundVariant.Dots} gap={22} size={1} color="#1d2633" />
        <Controls showInteractive={false} position="bottom-left" aria-label="Zoom controls" />
        <ViewportPortal>
          <PacketToken points={layout.rects} dummies={dummies} />
        </ViewportPortal>
      </ReactFlow>
    </div>
  );
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

function PacketToken({ points: rects, dummies }: { points: ReturnType<typeof layoutTopology>['rects']; dummies: ReadonlyMap<string, string> }) {
  const events = useStore((s) => s.result?.trace.events);
  const cursor = useStore((s) => s.cursor);
  const speed = useStore((s) => s.speed);
  const instant = useStore((s) => s.instant);
  const reduced = useReducedMotion();
  const pts = useMemo(() => (events ? eventPoints(events, rects, dummies) : []), [events, rects, dummies]);
  const ev = events?.[cursor];
  const p = pts[cursor];
  if (!ev || !p) return null;
  const inner = innerStart(ev.packet);
  const encap = inner >= 0;
  // what wraps the packet: a VXLAN header, an IPIP outer header, or flanneld's UDP datagram
  const wrap = ev.packet.some((l) => l.type === 'vxlan') ? 'VXLAN' : ev.packet[inner - 1]?.type === 'udp' ? 'UDP' : 'IPIP';
  const dropped = ev.kind === 'drop';
  const still = reduced || instant;
  const duration = still ? 0 : Math.min(0.55, (STEP_MS / speed / 1000) * 0.7);
  // LazyMotion with domAnimation: tweens only, no layout projection (which measures the page on every render)
  return (
    <LazyMotion features={domAnimation} strict>
      <m.div className="token-wrap" data-testid="topology.token" initial={false} animate={{ x: p.x, y: p.y }} transition={{ duration, ease: 'easeInOut' }} aria-hidden="true">
        <m.div className="token-shell" initial={false} animate={{ scale: encap ? 1 : 0.4, opacity: encap ? 1 : 0 }} transition={{ duration: still ? 0 : 0.3 }} />
        <div className={`token-core${dropped ? ' dropped' : ''}`} />
        {encap && <div className="token-tag">{wrap}</div>}
      </m.div>
    </LazyMotion>
  );
}
