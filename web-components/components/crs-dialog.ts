import { css, html } from 'lit'
import { t } from '../i18n/i18n.ts'
import { CrsElement } from '../lib/crs-element.ts'
import { icon } from '../lib/icons.ts'
import { sharedStyles } from '../styles/shared-styles.ts'

/**
 * @summary A modal dialog on the native `<dialog>`: focus is trapped inside, Esc closes it and
 * focus returns to the element that opened it.
 * @slot - The body.
 * @slot footer - Buttons.
 * @event crs-close - The user closed the dialog (Esc, the close button or the backdrop).
 * @csspart dialog - The `<dialog>` element.
 */
export class CrsDialog extends CrsElement {
  static override properties = {
    open: { type: Boolean, reflect: true },
    heading: { type: String },
    wide: { type: Boolean },
  }
  static override styles = [
    sharedStyles,
    css`
      dialog {
        border: 1px solid var(--crs-border);
        border-radius: 12px;
        padding: 0;
        width: min(560px, calc(100vw - 24px));
        max-height: calc(100dvh - 24px);
        background: var(--crs-surface);
        color: var(--crs-text);
        box-shadow: 0 12px 40px rgb(0 0 0 / 25%);
      }
      dialog.wide {
        width: min(980px, calc(100vw - 24px));
      }
      dialog[open] {
        display: flex;
        flex-direction: column;
      }
      dialog::backdrop {
        background: var(--crs-overlay);
      }
      header {
        display: flex;
        align-items: center;
        gap: 8px;
        padding: 14px 16px;
        border-bottom: 1px solid var(--crs-border);
      }
      header h2 {
        flex: 1;
        overflow-wrap: anywhere;
      }
      .body {
        padding: 16px;
        overflow: auto;
        flex: 1 1 auto;
      }
      footer {
        display: flex;
        flex-wrap: wrap;
        justify-content: flex-end;
        gap: 8px;
        padding: 12px 16px;
        border-top: 1px solid var(--crs-border);
      }
      footer:not(:has(*)) {
        display: none;
      }
    `,
  ]

  declare open: boolean
  declare heading: string
  declare wide: boolean
  private opener: Element | null = null

  constructor() {
    super()
    this.open = false
    this.heading = ''
    this.wide = false
  }

  private get dialog(): HTMLDialogElement | null {
    return this.renderRoot.querySelector('dialog')
  }

  override updated(changed: Map<string, unknown>): void {
    if (!changed.has('open')) return
    const d = this.dialog
    if (!d) return
    if (this.open && !d.open) {
      this.opener = deepActive()
      d.showModal()
    } else if (!this.open && d.open) {
      d.close()
    }
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback()
    this.restoreFocus()
  }

  private restoreFocus() {
    const o = this.opener
    this.opener = null
    if (o instanceof HTMLElement && o.isConnected) o.focus()
  }

  private requestClose() {
    this.emit('crs-close')
  }

  private onCancel(e: Event) {
    e.preventDefault()
    this.requestClose()
  }

  private onClose() {
    this.restoreFocus()
    if (this.open) this.requestClose()
  }

  private onClick(e: MouseEvent) {
    // A click on the backdrop lands on the <dialog> itself.
    if (e.target === this.dialog) {
      const r = this.dialog!.getBoundingClientRect()
      const inside =
        e.clientX >= r.left && e.clientX <= r.right && e.clientY >= r.top && e.clientY <= r.bottom
      if (!inside) this.requestClose()
    }
  }

  override render() {
    return html`<dialog
      part="dialog"
      class=${this.wide ? 'wide' : ''}
      aria-labelledby="title"
      @cancel=${this.onCancel}
      @close=${this.onClose}
      @click=${this.onClick}
    >
      <header>
        <h2 id="title">${this.heading}</h2>
        <button class="btn ghost icon-only" @click=${this.requestClose} aria-label=${t('common.close')}>
          ${icon('x')}
        </button>
      </header>
      <div class="body"><slot></slot></div>
      <footer><slot name="footer"></slot></footer>
    </dialog>`
  }
}

function deepActive(): Element | null {
  let a: Element | null = document.activeElement
  while (a?.shadowRoot?.activeElement) a = a.shadowRoot.activeElement
  return a
}

customElements.define('crs-dialog', CrsDialog)
declare global {
  interface HTMLElementTagNameMap {
    'crs-dialog': CrsDialog
  }
}
