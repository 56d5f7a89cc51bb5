import { memo, useMemo } from 'react';
import { encode, fieldSpans, type FieldSpan } from '../../sim/net/encode.ts';
import type { FieldChange, Layer } from '../../sim/net/packet.ts';
import type { TraceEvent } from '../../sim/trace/event.ts';
import { formatField, layerNames } from '../store/derive.ts';
import { useStore } from '../store/store.ts';
import { HexDump } from './HexDump.tsx';

interface FieldRow {
  readonly field: string;
  readonly value: string;
  /** not stored in the layer: computed by encode (lengths, checksums, bit-fields) */
  readonly derived: boolean;
  readonly span?: FieldSpan;
}

function readUint(bytes: Uint8Array, s: FieldSpan): number {
  let n = 0;
  for (let i = 0; i < s.length && i < 4; i++) n = n * 256 + (bytes[s.offset + i] ?? 0);
  return n;
}

/** Fields encode computes, shown as Wireshark shows them (bit-fields unpacked). */
function derivedValue(type: Layer['type'], s: FieldSpan, n: number): string {
  if (type === 'ipv4' && s.field === 'version') return String(n >> 4);
  if (type === 'ipv4' && s.field === 'hdr_len') return `${(n & 0xf) * 4} bytes`;
  if (type === 'ipv4' && s.field === 'frag_offset') return String(n & 0x1fff);
  if (type === 'tcp' && s.field === 'hdr_len') return `${(n >> 4) * 4} bytes`;
  if (s.field === 'len' || s.field === 'length' || s.field === 'urgent_pointer') return String(n);
  return `0x${n.toString(16).padStart(s.length * 2, '0')}`;
}

/** A layer's fields in wire order: the model's own fields plus those encode derives. */
function fieldRows(layer: Layer, li: number, spans: readonly FieldSpan[], bytes: Uint8Array): FieldRow[] {
  const own = layer as unknown as Record<string, unknown>;
  const rows: FieldRow[] = [];
  const seen = new Set<string>();
  for (const s of spans) {
    if (s.layer !== li || seen.has(s.field) || /^options\[\d+\]$/.test(s.field) || s.field.startsWith('reserved') || s.field === 'unused') continue;
    if (layer.type === 'data' && s.field === 'length') continue;
    seen.add(s.field);
    if (s.field in own && own[s.field] !== undefined) {
      rows.push({ field: s.field, value: formatField(layer.type, s.field, own[s.field]), derived: false, span: s });
    } else {
      const value = derivedValue(layer.type, s, readUint(bytes, s));
      rows.push({ field: s.field, value, derived: true, span: s });
    }
  }
  for (const [k, v] of Object.entries(own)) {
    if (k === 'type' || v === undefined || seen.has(k)) continue;
    rows.push({ field: k, value: formatField(layer.type, k, v), derived: false, ...(spans.find((s) => s.layer === li && s.field === k) ? { span: spans.find((s) => s.layer === li && s.field === k)! } : {}) });
  }
  return rows;
}

function summary(layer: Layer): string {
  switch (layer.type) {
    case 'ethernet':
      return `${layer.src} → ${layer.dst}`;
    case 'ipv4':
      return `${layer.src} → ${layer.dst} ttl ${layer.ttl}`;
    case 'tcp':
    case 'udp':
      return `${layer.srcport} → ${layer.dstport}`;
    case 'icmp':
      return `type ${layer.icmp_type} code ${layer.code}`;
    case 'vxlan':
      return `VNI ${layer.vni}`;
    case 'arp':
      return `${layer.opcode === 1 ? 'who-has' : 'is-at'} ${layer.dst_proto_ipv4}`;
    case 'data':
      return `${layer.length} bytes`;
  }
}

/**
 * The packet after the step: its header stack, every field (what the step changed marked, the
 * checksums and lengths it recomputed included), and its bytes. A step re-renders only the
 * field rows whose value, mark or selection changed: consecutive steps mostly carry the same
 * packet (the trace shares its layers), so most rows are skipped, not diffed.
 */
export function PacketView({ ev, changed: changes }: { ev: TraceEvent; changed: readonly FieldChange[] }) {
  const selected = useStore((s) => s.selectedField);
  const selectField = useStore((s) => s.selectField);
  const instant = useStore((s) => s.instant);
  const names = useMemo(() => layerNames(ev.packet), [ev.packet]);
  const wire = useMemo(() => {
    try {
      const bytes = encode(ev.packet);
      const spans = fieldSpans(ev.packet);
      return { bytes, spans, rows: ev.packet.map((layer, li) => fieldRows(layer, li, spans, bytes)), error: '' };
    } catch (e) {
      return { bytes: new Uint8Array(), spans: [] as FieldSpan[], rows: ev.packet.map(() => [] as FieldRow[]), error: e instanceof Error ? e.message : String(e) };
    }
  }, [ev.packet]);
  const changed = useMemo(() => new Map(changes.map((c) => [`${c.layer}:${c.field}`, c])), [changes]);
  const changedLayers = new Set(changes.map((c) => c.layer));

  return (
    <section className="insp-section packet" aria-label="Packet">
      <h3 className="insp-h">
        Packet <span className="muted">· {wire.bytes.length} bytes on the wire</span>
        {ev.packet.length > 0 && <span className="muted"> · packet {ev.packetId}</span>}
      </h3>
      <div className="layer-stack" data-testid="inspector.layers" aria-label="Headers, outermost first">
        {/* a header that appears (VXLAN's outer four, an ICMP error's quote) pops in with a CSS
            animation on mount: no layout measuring on every step, which a layout animation would need */}
        {names.map((n, i) => (
          <span key={`${n.id}`} className={`layer-chip s-${n.scope || 'plain'}${changedLayers.has(i) ? ' changed' : ''}${instant ? ' still' : ''}`}>
            {n.title.replace(/^(outer|inner|quoted) /, '')}
          </span>
        ))}
      </div>
      <div className="layers">
        {ev.packet.map((layer, li) => {
          const name = names[li]!;
          // keyed by what the layer is (`ipv4`, `outer.ipv4`), not by its position: when VXLAN's
          // outer headers appear, the inner ones keep their rows instead of being rebuilt
          return (
            <div key={name.id} className={`layer s-${name.scope || 'plain'}`} data-testid={`inspector.layer.${name.id}`}>
              <div className="layer-title">
                <span className="layer-name">{name.title}</span>
                <span className="layer-sum mono">{summary(layer)}</span>
              </div>
              {wire.rows[li]!.map((r) => {
                const c = changed.get(`${li}:${r.field}`);
                return (
                  <FieldButton
                    key={r.field}
                    li={li}
                    layerId={name.id}
                    layerTitle={name.title}
                    field={r.field}
                    value={r.value}
                    derived={r.derived}
                    changed={!!c}
                    was={c && c.from !== undefined ? String(c.from) : undefined}
                    note={!c && layer.type === 'ipv4' && r.field === 'src' && r.value === '0.0.0.0'}
                    selected={selected?.layer === li && selected.field === r.field}
                    onSelect={selectField}
                  />
                );
              })}
            </div>
          );
        })}
      </div>
      {wire.error ? (
        <p className="bad">The bytes could not be encoded: {wire.error}</p>
      ) : (
        <HexDump bytes={wire.bytes} spans={wire.spans} names={names} selected={selected} changed={changes} onSelect={selectField} />
      )}
    </section>
  );
}

/**
 * One field of a layer. Its props are plain values, so a step that leaves the field as it was
 * skips it entirely.
 */
const FieldButton = memo(function FieldButton(props: {
  li: number;
  layerId: string;
  layerTitle: string;
  field: string;
  value: string;
  derived: boolean;
  /** the step changed it */
  changed: boolean;
  /** its value before the step, when it had one */
  was: string | undefined;
  note: boolean;
  selected: boolean;
  onSelect: (f: { layer: number; field: string } | null) => void;
}) {
  const { li, field, value, changed, was, selected, onSelect } = props;
  return (
    <button
      type="button"
      className={`frow${changed ? ' changed' : ''}${selected ? ' selected' : ''}${props.derived ? ' derived' : ''}`}
      data-testid={`inspector.field.${props.layerId}.${field}`}
      aria-pressed={selected}
      aria-label={`${props.layerTitle} ${field} ${value}${was !== undefined ? `, changed from ${was}` : changed ? ', changed at this step' : ''}`}
      onClick={() => onSelect(selected ? null : { layer: li, field })}
    >
      <span className="fname mono">{field}</span>
      <span className="fval mono">{value}</span>
      {was !== undefined && <span className="fwas mono">was {was}</span>}
      {props.note && <span className="fnote">not set yet: the route lookup picks it</span>}
    </button>
  );
});
