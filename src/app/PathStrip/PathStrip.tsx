import { useEffect, useMemo, useRef } from 'react';
import { shortName } from '../store/describe.ts';
import { pathStrip, type StripItem } from '../store/pathstrip.ts';
import { useStore } from '../store/store.ts';
import './PathStrip.css';

/**
 * The packet at the cursor in one line: the hosts and devices it crosses, in order, with what
 * happens to it on the way; each item jumps there. The big picture of a flow at a glance.
 */
export function PathStrip() {
  const events = useStore((s) => s.result?.trace.events);
  const packets = useStore((s) => s.result?.trace.packets);
  const cursor = useStore((s) => s.cursor);
  const seek = useStore((s) => s.seek);
  const packetId = events?.[cursor]?.packetId ?? 0;
  const items = useMemo(() => (events ? pathStrip(events, packetId) : []), [events, packetId]);
  const box = useRef<HTMLElement>(null);
  // keep the item the packet has reached in view (the strip scrolls sideways, the page does not)
  useEffect(() => {
    const el = box.current;
    const here = el?.querySelector<HTMLElement>('.here');
    if (!el || !here) return;
    const left = here.offsetLeft;
    if (left < el.scrollLeft + 40 || left + here.offsetWidth > el.scrollLeft + el.clientWidth - 40) el.scrollLeft = Math.max(0, left - el.clientWidth / 3);
  });
  if (!items.length) return null;
  // the item the cursor has reached: the last one at or before it
  let here = 0;
  items.forEach((x, k) => {
    if (x.index <= cursor) here = k;
  });
  const role = packets?.find((p) => p.packetId === packetId)?.role ?? '';
  return (
    <nav
      className="pathstrip"
      ref={box}
      onWheel={(e) => {
        const el = box.current;
        if (el) el.scrollLeft += e.deltaX + e.deltaY;
      }}
      aria-label={`Path of packet ${packetId} (${role})`} data-testid="pathstrip">
      <span className="ps-packet label">
        packet {packetId} · {role}
      </span>
      <ol className="ps-items">
        {items.map((x, k) => (
          <li key={`${x.type}${x.index}${k}`} className={`ps-${x.type}${x.type === 'change' ? ` ps-${x.what}` : ''}${x.type === 'end' && !x.ok ? ' bad' : ''}${k === here ? ' here' : k < here ? ' past' : ''}`}>
            {/* a mouse's shortcut into the trace: the keyboard reaches the same steps in the trace list */}
            <button type="button" tabIndex={-1} data-testid={`pathstrip.${x.type}.${x.index}`} aria-current={k === here ? 'step' : undefined} title={`Jump to step: ${label(x)}`} onClick={() => seek(x.index)}>
              {label(x, true)}
            </button>
          </li>
        ))}
      </ol>
    </nav>
  );
}

function label(x: StripItem, short = false): string {
  switch (x.type) {
    case 'place':
      return x.netns === 'root' ? x.host : `${x.host} · ${short ? shortName(x.netns, 18) : x.netns}`;
    case 'dev':
      return x.dev;
    case 'change':
    case 'end':
      return x.text;
  }
}
