import { memo, useMemo } from 'react';
import type { FieldSpan } from '../../sim/net/encode.ts';
import type { FieldChange } from '../../sim/net/packet.ts';
import type { LayerName } from '../store/derive.ts';

/**
 * The frame's bytes, 16 to a row as `tshark -x` prints them. Bytes are tinted by layer (outer
 * VXLAN headers in the overlay colour); the selected field's bytes are highlighted, and
 * clicking a byte selects the field that holds it.
 */
export const HexDump = memo(function HexDump(props: {
  bytes: Uint8Array;
  spans: readonly FieldSpan[];
  names: readonly LayerName[];
  selected: { layer: number; field: string } | null;
  changed: readonly FieldChange[];
  onSelect: (f: { layer: number; field: string } | null) => void;
}) {
  const { bytes, spans, names, selected, changed, onSelect } = props;
  // per byte: its layer, and the narrowest model field that holds it
  const owner = useMemo(() => {
    const layerOf = new Int16Array(bytes.length).fill(-1);
    const field: (FieldSpan | undefined)[] = new Array(bytes.length);
    for (const s of spans) {
      for (let i = s.offset; i < s.offset + s.length && i < bytes.length; i++) {
        layerOf[i] = s.layer;
        const cur = field[i];
        if (!cur || s.length < cur.length) field[i] = s;
      }
    }
    // bytes past the last span of a layer (payload) belong to the layer before them
    let last = 0;
    for (let i = 0; i < bytes.length; i++) {
      if (layerOf[i]! < 0) layerOf[i] = last;
      else last = layerOf[i]!;
    }
    return { layerOf, field };
  }, [bytes, spans]);
  const hot = useMemo(() => {
    const sel = new Uint8Array(bytes.length);
    if (selected) for (const s of spans) if (s.layer === selected.layer && s.field === selected.field) sel.fill(1, s.offset, s.offset + s.length);
    const chg = new Uint8Array(bytes.length);
    for (const c of changed) for (const s of spans) if (s.layer === c.layer && s.field === c.field) chg.fill(1, s.offset, s.offset + s.length);
    return { sel, chg };
  }, [bytes, spans, selected, changed]);

  const rows: number[] = [];
  for (let off = 0; off < bytes.length; off += 16) rows.push(off);
  const selName = selected ? `${names[selected.layer]?.title ?? ''} ${selected.field}` : '';
  return (
    <div className="hexdump" data-testid="inspector.hexdump">
      <div className="hex-head">
        <span className="label">bytes</span>
        <span className="muted mono" data-testid="inspector.hexdump.selection">
          {selected ? `${selName}: ${hot.sel.reduce((n, b) => n + b, 0)} bytes` : 'select a field to see its bytes'}
        </span>
      </div>
      <div className="hex-rows mono" role="img" aria-label={`${bytes.length} bytes of the frame as hex`}>
        {rows.map((off) => (
          <div key={off} className="hex-row">
            <span className="hex-off">{off.toString(16).padStart(4, '0')}</span>
            <span className="hex-bytes">
              {Array.from(bytes.subarray(off, off + 16), (b, k) => {
                const i = off + k;
                const li = owner.layerOf[i]!;
                const scope = names[li]?.scope || 'plain';
                return (
                  <span
                    key={i}
                    className={`hb s-${scope} l${li % 2}${hot.sel[i] ? ' sel' : ''}${hot.chg[i] ? ' chg' : ''}${k === 8 ? ' gap' : ''}`}
                    data-selected={hot.sel[i] ? 'true' : undefined}
                    onClick={() => {
                      const f = owner.field[i];
                      if (f) onSelect({ layer: f.layer, field: f.field });
                    }}
                  >
                    {b.toString(16).padStart(2, '0')}
                  </span>
                );
              })}
            </span>
            <span className="hex-ascii">
              {Array.from(bytes.subarray(off, off + 16), (b, k) => (
                <span key={k} className={hot.sel[off + k] ? 'sel' : undefined}>
                  {b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.'}
                </span>
              ))}
            </span>
          </div>
        ))}
      </div>
    </div>
  );
});
