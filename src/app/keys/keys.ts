import type { View } from '../store/store.ts';

/**
 * The one registry of keyboard shortcuts. Every part of the app that answers a key defines it
 * here (`defineKeys`), so one listener dispatches them all and the `?` sheet lists them all,
 * built from the same entries: a key that works is a key the sheet shows.
 */
export interface KeyBinding {
  /** dotted id, unique: `playback.toggle` */
  readonly id: string;
  /** the `KeyboardEvent.key` values that trigger it: `' '`, `'ArrowRight'`, `'?'`, `'n'` */
  readonly keys: readonly string[];
  /** how the sheet writes the keys, when not the keys themselves: `Space`, `→` */
  readonly display?: string;
  /** what it does, as the sheet says it */
  readonly label: string;
  /** the sheet's section: `Playback`, `Topology`, `Trace`, `Help` */
  readonly group: string;
  /** the views it works in (default: all) */
  readonly views?: readonly View[];
  /** also fires while a text field has focus (Escape does; letters and Space do not) */
  readonly inText?: boolean;
  /** does it; `false` lets the key through to the page */
  readonly run: (e: KeyboardEvent) => boolean | void;
}

const bindings = new Map<string, KeyBinding>();
const listeners = new Set<() => void>();
let snapshot: readonly KeyBinding[] = [];

function changed(): void {
  snapshot = [...bindings.values()];
  for (const l of listeners) l();
}

/** Adds bindings (replacing any with the same id); returns the function that removes them. */
export function defineKeys(list: readonly KeyBinding[]): () => void {
  for (const b of list) bindings.set(b.id, b);
  changed();
  return () => {
    for (const b of list) if (bindings.get(b.id) === b) bindings.delete(b.id);
    changed();
  };
}

/** Every binding, in the order defined (for the sheet). */
export function keyBindings(): readonly KeyBinding[] {
  return snapshot;
}

export function subscribeKeys(cb: () => void): () => void {
  listeners.add(cb);
  return () => listeners.delete(cb);
}

const TEXT_INPUTS = new Set(['text', 'search', 'email', 'number', 'password', 'tel', 'url', '']);

/** A control where typed characters (and Space) belong to the control, not to the shortcuts. */
export function isTextField(el: Element | null): boolean {
  if (!el) return false;
  const tag = el.tagName;
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag === 'INPUT') return TEXT_INPUTS.has(((el as HTMLInputElement).getAttribute('type') ?? '').toLowerCase());
  return (el as HTMLElement).isContentEditable;
}

/**
 * Runs the binding for a key press, if any: not with Ctrl/Alt/Meta held, not when a component
 * already handled the key, not inside a text field unless the binding says so, not while a
 * modal dialog is open. Returns whether a binding took the key.
 */
export function dispatchKey(e: KeyboardEvent, view: View): boolean {
  if (e.altKey || e.ctrlKey || e.metaKey || e.defaultPrevented || e.isComposing) return false;
  const target = e.target instanceof Element ? e.target : null;
  if (target?.closest('dialog[open]')) return false;
  const text = isTextField(target);
  for (const b of snapshot) {
    if (!b.keys.includes(e.key)) continue;
    if (text && !b.inText) continue;
    if (b.views && !b.views.includes(view)) continue;
    if (b.run(e) === false) continue;
    e.preventDefault();
    return true;
  }
  return false;
}

/** How the sheet writes a key. */
export function keyName(key: string): string {
  const names: Record<string, string> = { ' ': 'Space', ArrowRight: '→', ArrowLeft: '←', ArrowUp: '↑', ArrowDown: '↓', Escape: 'Esc' };
  return names[key] ?? key;
}
