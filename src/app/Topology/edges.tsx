import { BaseEdge, type EdgeProps } from '@xyflow/react';
import { memo } from 'react';
import { useStore } from '../store/store.ts';
import type { TopoEdge, TunnelEdgeData } from './layout.ts';
import { innerStart } from '../../sim/net/edit.ts';

/** A straight vertical drop from a device to a bridge or to the LAN bar below/above it. */
export const DropEdge = memo(function DropEdge({ id, sourceX, sourceY, targetY, style }: EdgeProps<TopoEdge>) {
  return <BaseEdge id={id} path={`M ${sourceX} ${sourceY} L ${sourceX} ${targetY}`} style={style} />;
});

/**
 * An overlay tunnel between two hosts (VXLAN, IPIP, flannel udp): down to its own lane just above the LAN, across, and back
 * up — dashed, in the overlay colour, and lit while an encapsulated packet rides it.
 */
export const TunnelEdge = memo(function TunnelEdge({ id, sourceX, sourceY, targetX, targetY, data }: EdgeProps<TopoEdge>) {
  const d = data as TunnelEdgeData;
  const lit = useStore((s) => {
    const p = s.result?.trace.events[s.cursor]?.packet;
    if (!p || innerStart(p) < 0) return false;
    const outer = p.find((l) => l.type === 'ipv4');
    return !!outer && outer.type === 'ipv4' && d.ips.includes(outer.src) && d.ips.includes(outer.dst);
  });
  const y = d.laneY;
  const r = 8;
  const dir = targetX >= sourceX ? 1 : -1;
  const downA = y > sourceY ? 1 : -1;
  const downB = targetY > y ? 1 : -1;
  const path = [
    `M ${sourceX} ${sourceY}`,
    `L ${sourceX} ${y - downA * r}`,
    `Q ${sourceX} ${y} ${sourceX + dir * r} ${y}`,
    `L ${targetX - dir * r} ${y}`,
    `Q ${targetX} ${y} ${targetX} ${y + downB * r}`,
    `L ${targetX} ${targetY}`,
  ].join(' ');
  return <BaseEdge id={id} path={path} className={lit ? 'tunnel-lit' : undefined} />;
});

export const edgeTypes = { drop: DropEdge, tunnel: TunnelEdge };
