import { Handle, Position, type NodeProps } from '@xyflow/react';
import { memo } from 'react';
import type { SimResult } from '../../sim/api-types.ts';
import { shortName } from '../store/describe.ts';
import { useStore, type Store } from '../store/store.ts';
import type { DeviceNodeData, HostNodeData, PodNodeData, SegmentNodeData, TopoNode } from './layout.ts';

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

const hidden = { opacity: 0, width: 1, height: 1, minWidth: 0, minHeight: 0, border: 0 } as const;

export const HostNode = memo(function HostNode({ data }: NodeProps<TopoNode>) {
  const d = data as HostNodeData;
  const active = useStore((s) => current(s)?.host === d.host.name);
  const role = d.host.role;
  return (
    <div className={`topo-host role-${role}${active ? ' active' : ''}${d.flipped ? ' flipped' : ''}`} data-testid={`topology.host.${d.host.name}`}>
      <div className="host-title">
        <div className="host-line">
          <span className="host-name">{d.host.name}</span>
          <span className="host-role">{role}</span>
        </div>
        <div className="host-line">
          {d.host.ip && <span className="host-ip mono">{d.host.ip}</span>}
          {d.host.podCIDR && <span className="host-cidr mono">pods {d.host.podCIDR}</span>}
        </div>
      </div>
    </div>
  );
});

export const PodNode = memo(function PodNode({ data }: NodeProps<TopoNode>) {
  const d = data as PodNodeData;
  const active = useStore((s) => {
    const e = current(s);
    return !!e && e.host === d.host && e.netns === d.ns.name;
  });
  return (
    <div className={`topo-pod${active ? ' active' : ''}${d.flipped ? ' flipped' : ''}`} data-testid={`topology.ns.${d.host}.${d.ns.name}`} title={`${d.ns.kind} ${d.ns.name}${d.ns.ip ? ` ${d.ns.ip}` : ''}`}>
      <div className="pod-title">
        <span className="pod-name">{shortName(d.ns.name)}</span>
        {d.ns.ip && <span className="pod-ip mono">{d.ns.ip}</span>}
      </div>
    </div>
  );
});

function devDetail(d: DeviceNodeData['dev']): string {
  if (d.kind === 'vxlan') return `VNI ${d.vni ?? '?'} · udp ${d.dstport ?? 8472}`;
  if (d.addrs[0]) return d.addrs[0];
  if (d.kind === 'veth' && d.master) return `port of ${d.master}`;
  return d.mac;
}

export const DeviceNode = memo(function DeviceNode({ data }: NodeProps<TopoNode>) {
  const d = data as DeviceNodeData;
  const state = useStore((s) => {
    const e = current(s);
    if (!e || e.host !== d.host || e.netns !== d.netns || e.dev !== d.dev.name) return visited(s.result)?.has(`${d.host}/${d.netns}/${d.dev.name}`) ? 'visited' : '';
    return e.kind === 'drop' ? 'dropped' : 'active';
  });
  const dev = d.dev;
  return (
    <div
      className={`topo-dev kind-${dev.kind}${state ? ` ${state}` : ''}${dev.up ? '' : ' down'}`}
      data-testid={`topology.dev.${d.host}.${d.netns}.${dev.name}`}
      title={`${dev.name} (${dev.kind}) mtu ${dev.mtu}${dev.addrs.length ? ` ${dev.addrs.join(' ')}` : ''} ${dev.mac}${dev.up ? '' : ' DOWN'}`}
    >
      <Handle type="source" id="t" position={Position.Top} isConnectable={false} style={hidden} />
      <Handle type="source" id="b" position={Position.Bottom} isConnectable={false} style={hidden} />
      <span className="dev-name mono">{dev.name}</span>
      <span className="dev-detail mono">{devDetail(dev)}</span>
    </div>
  );
});

export const SegmentNode = memo(function SegmentNode({ data }: NodeProps<TopoNode>) {
  const d = data as SegmentNodeData;
  const active = useStore((s) => current(s)?.kind === 'wire');
  return (
    <div className={`topo-seg${active ? ' active' : ''}`} data-testid={`topology.segment.${d.name}`}>
      <Handle type="source" id="t" position={Position.Top} isConnectable={false} style={hidden} />
      <Handle type="source" id="b" position={Position.Bottom} isConnectable={false} style={hidden} />
      <span className="seg-name">LAN {d.name}</span>
      {d.cidr && <span className="seg-cidr mono">{d.cidr}</span>}
      <span className="seg-kind">underlay</span>
    </div>
  );
});

export const nodeTypes = { host: HostNode, pod: PodNode, device: DeviceNode, segment: SegmentNode };
