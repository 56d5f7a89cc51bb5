/**
 * Scrolls `box` just enough to show `el` with a margin (`scrollIntoView` would also scroll
 * every ancestor, moving the whole page). `top` reserves room for a sticky header.
 */
export function revealIn(box: HTMLElement, el: HTMLElement, top = 28, margin = 16): void {
  // read geometry in the next frame, where the browser lays out anyway: reading it right after
  // React's commit would force a second, synchronous layout on every step
  requestAnimationFrame(() => {
    if (!el.isConnected) return;
    revealNow(box, el, top, margin);
  });
}

function revealNow(box: HTMLElement, el: HTMLElement, top: number, margin: number): void {
  const b = box.getBoundingClientRect();
  const r = el.getBoundingClientRect();
  if (r.top < b.top + top) box.scrollTop += r.top - b.top - top;
  else if (r.bottom > b.bottom - margin) box.scrollTop += Math.min(r.bottom - b.bottom + margin, r.top - b.top - top);
}
