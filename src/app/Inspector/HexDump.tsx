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

  const selName = selected ? `${names[selected.layer]?.title ?? ''} ${selected.field}` : '';
  // one click handler for every byte (the byte says which it is), so rows hold no closures and
  // a row whose bytes and marks are as they were is skipped on a step
  const onClick = (e: React.MouseEvent<HTMLElement>) => {
    const i = Number((e.target as HTMLElement).dataset['i']);
    const f = Number.isInteger(i) ? owner.field[i] : undefined;
    if (f) onSelect({ layer: f.layer, field: f.field });
  };
  const rows: { off: number; cells: string }[] = [];
  for (let off = 0; off < bytes.length; off += 16) {
    let cells = '';
    for (let i = off; i < Math.min(off + 16, bytes.length); i++) {
      const li = owner.layerOf[i]!;
      cells += `${bytes[i]!},${names[li]?.scope || 'plain'},${li % 2},${hot.sel[i]! | (hot.chg[i]! << 1)};`;
    }
    rows.push({ off, cells });
  }
  return (
    <div className="hexdump" data-testid="inspector.hexdump">
      <div className="hex-head">
        <span className="label">bytes</span>
        <span className="muted mono" data-testid="inspector.hexdump.selection">
          {selected ? `${selName}: ${hot.sel.reduce((n, b) => n + b, 0)} bytes` : 'select a field to see its bytes'}
        </span>
      </div>
      <div className="hex-rows mono" role="img" aria-label={`${bytes.length} bytes of the frame as hex`} onClick={onClick}>
        {rows.map((r) => (
          <HexRow key={r.off} off={r.off} cells={r.cells} />
        ))}
      </div>
    </div>
  );
});

/**
 * One row of 16 bytes. `cells` says everything the row shows, byte by byte
 * (`value,scope,layer parity,marks;`), so equal strings mean an equal row.
 */
const HexRow = memo(function HexRow({ off, cells }: { off: number; cells: string }) {
  const bytes = cells.split(';').slice(0, -1).map((c) => {
    const [v, scope, parity, marks] = c.split(',');
    return { b: Number(v), scope: scope!, parity: parity!, sel: (Number(marks) & 1) !== 0, chg: (Number(marks) & 2) !== 0 };
  });
  return (
    <div className="hex-row">
      <span className="hex-off">{off.toString(16).padStart(4, '0')}</span>
      <span className="hex-bytes">
        {bytes.map((x, k) => (
          <span
            key={k}
            className={`hb s-${x.scope} l${x.parity}${x.sel ? ' sel' : ''}${x.chg ? ' chg' : ''}${k === 8 ? ' gap' : ''}`}
            data-selected={x.sel ? 'true' : undefined}
            data-i={off + k}
          >
            {x.b.toString(16).padStart(2, '0')}
          </span>
        ))}
      </span>
      <span className="hex-ascii">
        {bytes.map((x, k) => (
          <span key={k} className={x.sel ? 'sel' : undefined}>
            {x.b >= 0x20 && x.b < 0x7f ? String.fromCharCode(x.b) : '.'}
          </span>
        ))}
      </span>
    </div>
  );
});
