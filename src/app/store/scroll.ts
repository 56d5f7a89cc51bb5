/**
 * Scrolls `box` just enough to show `el` with a margin (`scrollIntoView` would also scroll
 * every ancestor, moving the whole page). `top` reserves room for a sticky header.
 */
export function revealIn(box: HTMLElement, el: HTMLElement, top = 28, margin = 16): void {
  const b = box.getBoundingClientRect();
  const r = el.getBoundingClientRect();
  if (r.top < b.top + top) box.scrollTop += r.top - b.top - top;
  else if (r.bottom > b.bottom - margin) box.scrollTop += Math.min(r.bottom - b.bottom + margin, r.top - b.top - top);
}
