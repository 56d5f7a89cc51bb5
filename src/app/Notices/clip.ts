/**
 * A message may quote what the user gave it — a share-link value, a name — and that can be
 * megabytes long. Each long word is cut to its start and end with its length between, so the
 * notice stays one readable line and still says which value it was.
 */
export const CLIP_WORD = 120;

export function clipLongValues(message: string, max = CLIP_WORD): string {
  if (message.length <= max) return message;
  return message.replace(/\S{121,}/g, (w) => (w.length <= max ? w : `${w.slice(0, 60)}…[${w.length.toLocaleString('en-US')} characters]…${w.slice(-20)}`));
}
