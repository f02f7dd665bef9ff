import { css, html, unsafeCSS } from 'lit'
import { CrsElement } from '../lib/crs-element.ts'
import { POPOVER_CSS, placePopover } from '../lib/popover.ts'
import { sharedStyles } from '../styles/shared-styles.ts'

/**
 * @summary A disclosure: a compact trigger (its content in the `trigger` slot) that shows more in
 * a panel on top of the page (Esc or a click elsewhere closes it).
 * @slot trigger - What the button shows.
 * @slot - The panel's content.
 */
export class CrsPopover extends CrsElement {
  static override properties = {
    label: { type: String },
    open: { state: true },
  }
  static override styles = [
    sharedStyles,
    css`
      :host {
        display: inline-block;
        max-width: 100%;
      }
      ${unsafeCSS(POPOVER_CSS)}
      [popover] {
        padding: 12px;
        min-width: 240px;
      }
      button.trigger {
        all: unset;
        display: inline-flex;
        align-items: center;
        gap: 6px;
        max-width: 100%;
        cursor: pointer;
        border-radius: 6px;
        padding: 2px 4px;
        margin: -2px -4px;
      }
      button.trigger:hover {
        background: var(--crs-surface-2);
      }
      button.trigger:focus-visible {
        outline: 2px solid var(--crs-focus);
      }
    `,
  ]
  declare label: string
  declare open: boolean

  constructor() {
    super()
    this.label = ''
    this.open = false
  }

  private toggle() {
    const pop = this.renderRoot.querySelector<HTMLElement>('[popover]')
    const trigger = this.renderRoot.querySelector<HTMLElement>('button.trigger')
    if (!pop || !trigger) return
    if (pop.matches(':popover-open')) pop.hidePopover()
    else {
      pop.showPopover()
      placePopover(trigger, pop)
    }
  }

  override render() {
    return html`<button
        class="trigger"
        aria-expanded=${this.open ? 'true' : 'false'}
        aria-controls="panel"
        aria-label=${this.label}
        @click=${this.toggle}
      >
        <slot name="trigger"></slot>
      </button>
      <div
        id="panel"
        popover="auto"
        role="dialog"
        aria-label=${this.label}
        @toggle=${(e: ToggleEvent) => {
          this.open = e.newState === 'open'
        }}
      >
        <slot></slot>
      </div>`
  }
}

customElements.define('crs-popover', CrsPopover)
declare global {
  interface HTMLElementTagNameMap {
    'crs-popover': CrsPopover
  }
}
