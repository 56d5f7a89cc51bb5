import { Handle, Position, type NodeProps } from '@xyflow/react';
import { memo, useMemo } from 'react';
import type { SimResult } from '../../sim/api-types.ts';
import type { ContainerView } from '../../worker/protocol.ts';
import { hostNetworkBadges, namespaceMembers } from './docker.ts';
import type { TraceEvent } from '../../sim/trace/event.ts';
import { shortName } from '../store/describe.ts';
import { useStore, type Store } from '../store/store.ts';
import { currentWireSegment, usesDummy } from './points.ts';
import { SIZE, type DeviceNodeData, type FoldNodeData, type HostNodeData, type PodNodeData, type SegmentNodeData, type TopoNode } from './layout.ts';

/** Devices the trace passes through, once per trace. */
const visitedCache = new WeakMap<SimResult, Set<string>>();
function visited(r: SimResult | null): Set<string> | undefined {
  if (!r) return undefined;
  let v = visitedCache.get(r);
  if (!v) {
    v = new Set(r.trace.events.filter((e) => e.dev).map((e) => `${e.host}/${e.netns}/${e.dev}`));
    visitedCache.set(r, v);
  }
  return v;
}

const current = (s: Store) => s.result?.trace.events[s.cursor];

const hidden = { opacity: 0, width: 1, height: 1, minWidth: 0, minHeight: 0, border: 0, left: `calc(100% - ${SIZE.anchorInset}px)` } as const;

/** Where links attach: top and bottom, at the anchor (points.ts `anchorOf`), so that links and the token line up. */
function Anchors() {
  return (
    <>
      <Handle type="source" id="t" position={Position.Top} isConnectable={false} style={hidden} />
      <Handle type="source" id="b" position={Position.Bottom} isConnectable={false} style={hidden} />
    </>
  );
}

const noContainers: readonly ContainerView[] = [];

export const HostNode = memo(function HostNode({ data }: NodeProps<TopoNode>) {
  const d = data as HostNodeData;
  const active = useStore((s) => current(s)?.host === d.host.name);
  const setHostDetail = useStore((s) => s.setHostDetail);
  const role = d.host.role;
  const docker = role === 'docker-host';
  const containers = useStore((s) => (docker ? s.containers : noContainers));
  const badges = useMemo(() => (docker ? hostNetworkBadges(d.host.name, containers) : []), [docker, d.host.name, containers]);
  const card = d.detail === 'card';
  return (
    <div
      className={`topo-host role-${role}${active ? ' active' : ''}${d.flipped ? ' flipped' : ''}${card ? ' card' : ''}`}
      data-testid={`topology.host.${d.host.name}`}
      data-detail={d.detail}
      title={card ? `${d.label}. Click to show its devices.` : undefined}
    >
      <Anchors />
      <div className="host-title">
        <div className="host-line">
          <span className="host-name">{d.host.name}</span>
          <span className="host-role">{docker ? 'docker host' : role}</span>
          {docker && <span className="engine-tag">Docker Engine</span>}
          {!card && (
            <button
              type="button"
              className="host-fold nodrag"
              tabIndex={-1}
              aria-label={`Fold ${d.host.name} into a card`}
              title="Fold this host into a card"
              data-testid={`topology.fold.${d.host.name}`}
              onClick={(e) => {
                e.stopPropagation();
                setHostDetail(d.host.name, 'card');
              }}
            >
              fold
            </button>
          )}
        </div>
        <div className="host-line">
          {d.host.ip && <span className="host-ip mono">{d.host.ip}</span>}
          {d.host.podCIDR && !card && <span className="host-cidr mono">pods {d.host.podCIDR}</span>}
          {badges.map((b) => (
            <span key={b.name} className="hostnet-badge mono" title={b.title} data-testid={`topology.hostnet.${b.name}`}>
              {b.text}
            </span>
          ))}
        </div>
        {card && d.host.podCIDR && (
          <div className="host-line">
            <span className="host-cidr mono">pods {d.host.podCIDR}</span>
          </div>
        )}
        {card && (
          <div className="host-line card-count">
            {d.devices} device{d.devices === 1 ? '' : 's'}
            {d.pods ? ` · ${d.pods} pod${d.pods === 1 ? '' : 's'}` : ''}
            <span className="card-open" aria-hidden="true">
              show ▸
            </span>
          </div>
        )}
      </div>
    </div>
  );
});

/** The pods of a host on the path that the packet does not visit, folded into one list. */
export const FoldNode = memo(function FoldNode({ data }: NodeProps<TopoNode>) {
  const d = data as FoldNodeData;
  const shown = d.pods.slice(0, 4);
  return (
    <div className="topo-fold" data-testid={`topology.folded.${d.host}`} title={`${d.pods.map((p) => `${p.name}${p.ip ? ` ${p.ip}` : ''}`).join('\n')}\nClick to show their devices.`}>
      <div className="fold-title">
        +{d.pods.length} pod{d.pods.length === 1 ? '' : 's'} <span className="fold-note">off the path</span>
      </div>
      {shown.map((p) => (
        <div key={p.name} className="fold-pod mono">
          <span className="fold-name">{shortName(p.name, 16)}</span> {p.ip}
        </div>
      ))}
      {d.pods.length > shown.length && <div className="fold-pod muted">+{d.pods.length - shown.length} more</div>}
    </div>
  );
});

export const PodNode = memo(function PodNode({ data }: NodeProps<TopoNode>) {
  const d = data as PodNodeData;
  const active = useStore((s) => {
    const e = current(s);
    return !!e && e.host === d.host && e.netns === d.ns.name;
  });
  if (d.ns.kind === 'container') return <ContainerNs d={d} active={active} />;
  return (
    <div className={`topo-pod${active ? ' active' : ''}${d.flipped ? ' flipped' : ''}`} data-testid={`topology.ns.${d.host}.${d.ns.name}`} title={`${d.ns.kind} ${d.ns.name}${d.ns.ip ? ` ${d.ns.ip}` : ''}`}>
      <div className="pod-title">
        <span className="pod-name">{shortName(d.ns.name)}</span>
        {d.ns.ip && <span className="pod-ip mono">{d.ns.ip}</span>}
      </div>
    </div>
  );
});

/** A Docker container's network namespace: the containers that share it, its mode, its address. */
function ContainerNs({ d, active }: { d: PodNodeData; active: boolean }) {
  const containers = useStore((s) => s.containers);
  const m = useMemo(() => namespaceMembers(d.ns, d.host, containers), [d.ns, d.host, containers]);
  const shown = m.apps.length ? m.apps : m.names;
  const title = [`container namespace ${d.ns.name}${d.ns.ip ? ` ${d.ns.ip}` : ''}`, ...m.details].join('\n');
  return (
    <div className={`topo-pod topo-container${active ? ' active' : ''}${d.flipped ? ' flipped' : ''}`} data-testid={`topology.ns.${d.host}.${d.ns.name}`} title={title}>
      <div className="pod-title">
        <span className="ctr-members" data-testid={`topology.members.${d.ns.name}`}>
          {shown.map((n, i) => (
            <span key={n}>
              {i > 0 && <span className="ctr-plus"> + </span>}
              <span className="ctr-name">{n}</span>
            </span>
          ))}
        </span>
        <span className="ctr-mode">
          {m.pod ? `pod ${m.pod}${m.names.length > shown.length ? ' · pause' : ''}` : shown.length > 1 ? 'shared netns' : ''}
          {m.mode && (m.pod || shown.length > 1 ? ' · ' : '')}
          {m.mode}
        </span>
        {d.ns.ip && <span className="pod-ip mono">{d.ns.ip}</span>}
      </div>
    </div>
  );
}

function devDetail(d: DeviceNodeData['dev']): string {
  if (d.kind === 'vxlan') return `VNI ${d.vni ?? '?'} · udp ${d.dstport ?? 8472}`;
  // overlay devices: where the packet goes from them (a tunnel's far end, a TUN's reader)
  if (d.kind === 'ipip') return `IPIP · ${d.addrs[0] ?? 'no address'}`;
  if (d.kind === 'tun') return `TUN · read by ${d.owner ?? 'nobody'}`;
  if (d.kind === 'dummy') return d.addrs.length ? `${d.addrs.length} ClusterIP${d.addrs.length === 1 ? '' : 's'}` : 'no addresses';
  if (d.kind === 'loopback') return d.addrs[0]?.replace(/\/\d+$/, '') ?? '';
  if (d.addrs[0]) return d.addrs[0];
  if (d.kind === 'veth' && d.master) return `port of ${d.master}`;
  return d.mac;
}

/** The ClusterIP a dummy device holds that the current packet is addressed to (before IPVS rewrote it). */
function heldAddress(e: TraceEvent | undefined, host: string, addrs: readonly string[]): string | undefined {
  if (!e || e.host !== host) return undefined;
  // the virtual server's address (`TCP  10.43.6.58:80 sh`), else the packet's destination
  const vs = e.ref?.table === 'ipvs' ? /\s(\d+\.\d+\.\d+\.\d+):/.exec(e.ref.text ?? '')?.[1] : undefined;
  const ip = e.packet.find((l) => l.type === 'ipv4');
  const dst = vs ?? (ip?.type === 'ipv4' ? ip.dst : undefined);
  return dst && addrs.includes(`${dst}/32`) ? dst : undefined;
}

export const DeviceNode = memo(function DeviceNode({ data }: NodeProps<TopoNode>) {
  const d = data as DeviceNodeData;
  const dummy = d.dev.kind === 'dummy';
  const state = useStore((s) => {
    const e = current(s);
    if (dummy && e && e.host === d.host && e.netns === d.netns && usesDummy(e, d.dev.name)) return 'active';
    if (!e || e.host !== d.host || e.netns !== d.netns || e.dev !== d.dev.name) return visited(s.result)?.has(`${d.host}/${d.netns}/${d.dev.name}`) ? 'visited' : '';
    return e.kind === 'drop' ? 'dropped' : 'active';
  });
  const held = useStore((s) => (dummy && state === 'active' ? heldAddress(current(s), d.host, d.dev.addrs) : undefined));
  const dev = d.dev;
  // a dummy is never "up" in `ip link` (NOARP, state DOWN) and still holds its addresses: not drawn as down
  const down = !dev.up && !dummy;
  return (
    <div
      className={`topo-dev kind-${dev.kind}${state ? ` ${state}` : ''}${down ? ' down' : ''}`}
      data-testid={`topology.dev.${d.host}.${d.netns}.${dev.name}`}
      title={`${dev.name} (${dev.kind}) mtu ${dev.mtu}${dev.addrs.length ? `\n${dev.addrs.join('\n')}` : ''}\n${dev.mac}${dev.up ? '' : ' DOWN'}`}
    >
      <Anchors />
      <span className="dev-name mono">
        {dev.name}
        {dummy && <span className="dev-tag">dummy</span>}
      </span>
      <span className="dev-detail mono" data-testid={dummy ? `topology.dummy.${d.host}` : undefined}>
        {held ? `holds ${held}` : devDetail(dev)}
      </span>
    </div>
  );
});

export const SegmentNode = memo(function SegmentNode({ data }: NodeProps<TopoNode>) {
  const d = data as SegmentNodeData;
  // only the LAN the frame is on lights up
  const active = useStore((s) => s.result !== null && currentWireSegment(s.result, s.cursor) === d.name);
  return (
    <div className={`topo-seg${active ? ' active' : ''}`} data-testid={`topology.segment.${d.name}`} data-active={active || undefined}>
      <Handle type="source" id="t" position={Position.Top} isConnectable={false} style={hidden} />
      <Handle type="source" id="b" position={Position.Bottom} isConnectable={false} style={hidden} />
      <span className="seg-name">LAN {d.name}</span>
      {d.cidr && <span className="seg-cidr mono">{d.cidr}</span>}
      <span className="seg-kind">underlay</span>
    </div>
  );
});

export const nodeTypes = { host: HostNode, pod: PodNode, device: DeviceNode, fold: FoldNode, segment: SegmentNode };
