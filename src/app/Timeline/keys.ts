/**
 * The debugger's keys for reading the trace, for the key registry and the `?` sheet (playback's
 * → ← Home End Space live with the playback keys). Handled in App's key listener, never while a
 * text field has focus.
 */
export const TRACE_KEYS: readonly { readonly key: string; readonly does: string }[] = [
  { key: 'L', does: 'level of detail: path → kernel → rules' },
  { key: '/', does: 'search the trace' },
  { key: 'n', does: 'next search match' },
  { key: 'N', does: 'previous search match' },
  { key: 'e', does: 'show or fold the finer steps of the current step' },
  { key: '↑ ↓ (trace list)', does: 'previous / next step' },
  { key: '→ ← (trace list)', does: 'show / fold the finer steps' },
];
