/**
 * @module
 * Placement of a popover (the Popover API's top layer, so no table or card clips it) next to the
 * button that opened it: below and right-aligned to it, above when the room below is short, kept
 * inside the viewport.
 */

/** Positions an open popover under (or over) its anchor. */
export function placePopover(anchor: HTMLElement, pop: HTMLElement): void {
  const a = anchor.getBoundingClientRect()
  const p = pop.getBoundingClientRect()
  const vw = document.documentElement.clientWidth
  const vh = document.documentElement.clientHeight
  const gap = 4
  let top = a.bottom + gap
  if (top + p.height > vh - 8 && a.top - gap - p.height >= 8) top = a.top - gap - p.height
  let left = a.right - p.width
  left = Math.max(8, Math.min(left, vw - p.width - 8))
  pop.style.top = `${Math.round(Math.max(8, top))}px`
  pop.style.left = `${Math.round(left)}px`
}

/** Styles of a popover panel (to include in a component's static styles). */
export const POPOVER_CSS = `
  [popover] {
    position: fixed;
    inset: auto;
    margin: 0;
    padding: 6px;
    min-width: 180px;
    max-width: min(360px, calc(100vw - 16px));
    max-height: calc(100dvh - 16px);
    overflow: auto;
    border: 1px solid var(--crs-border);
    border-radius: 8px;
    background: var(--crs-surface);
    color: var(--crs-text);
    box-shadow: 0 8px 28px rgb(0 0 0 / 22%);
    font-size: 13.5px;
    text-align: left;
    white-space: normal;
    font-weight: normal;
  }
`
