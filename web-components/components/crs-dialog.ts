import { css, html } from 'lit'
import { t } from '../i18n/i18n.ts'
import { CrsElement } from '../lib/crs-element.ts'
import { icon } from '../lib/icons.ts'
import { sharedStyles } from '../styles/shared-styles.ts'
import './crs-toast.ts'

/** What the first field of a dialog can be (its close button is skipped). */
const FIELD =
  'input:not([type="hidden"]):not([disabled]), select:not([disabled]), textarea:not([disabled])'

/**
 * @summary A modal dialog on the native `<dialog>`: focus starts on the first field and is trapped
 * inside, Esc closes it (asking first when the form is half filled) and focus returns to the
 * element that opened it. Server errors are shown inside it, and so are toasts while it is open.
 * @slot - The body.
 * @slot footer - Buttons; a slotted element with `data-close` closes the dialog like Esc.
 * @event crs-close - The user closed the dialog (Esc, the close button, a `data-close` button or
 *   the backdrop), after confirming when `dirty`.
 * @csspart dialog - The `<dialog>` element.
 */
export class CrsDialog extends CrsElement {
  static override properties = {
    open: { type: Boolean, reflect: true },
    heading: { type: String },
    wide: { type: Boolean },
    error: { type: String },
    dirty: { type: Boolean },
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
      .body > .callout {
        margin-bottom: 14px;
        white-space: pre-line;
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
  declare error: string
  declare dirty: boolean
  private opener: Element | null = null
  private asking = false

  constructor() {
    super()
    this.open = false
    this.heading = ''
    this.wide = false
    this.error = ''
    this.dirty = false
  }

  private get dialog(): HTMLDialogElement | null {
    return this.renderRoot.querySelector('dialog')
  }

  override updated(changed: Map<string, unknown>): void {
    if (changed.has('error') && this.error)
      this.renderRoot.querySelector('.body')?.scrollTo({ top: 0 })
    if (!changed.has('open')) return
    const d = this.dialog
    if (!d) return
    if (this.open && !d.open) {
      this.opener = deepActive()
      d.showModal()
      this.focusFirst()
    } else if (!this.open && d.open) {
      d.close()
    }
  }

  /** Focuses the first field of the body (`[autofocus]` first), else leaves focus as it is. */
  private focusFirst() {
    // Slotted content may still be rendering (a child component's first update).
    requestAnimationFrame(() => {
      const first =
        this.querySelector<HTMLElement>('[autofocus]') ?? this.querySelector<HTMLElement>(FIELD)
      first?.focus()
    })
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

  /** Closes the dialog as the user asked, confirming first when there are unsaved changes. */
  async requestClose(): Promise<void> {
    if (this.dirty) {
      if (this.asking) return
      this.asking = true
      try {
        const { confirmAction } = await import('../lib/confirm.ts')
        const discard = await confirmAction({
          heading: t('dialog.discardTitle'),
          message: t('dialog.discard'),
          confirmLabel: t('dialog.discardConfirm'),
          cancelLabel: t('dialog.keepEditing'),
          danger: true,
        })
        if (!discard) return
      } finally {
        this.asking = false
      }
    }
    this.emit('crs-close')
  }

  private onCancel(e: Event) {
    e.preventDefault()
    void this.requestClose()
  }

  private onClose() {
    this.restoreFocus()
    if (this.open) void this.requestClose()
  }

  private onClick(e: MouseEvent) {
    const d = this.dialog
    if (d && e.target === d) {
      // A click on the backdrop lands on the <dialog> itself.
      const r = d.getBoundingClientRect()
      const inside =
        e.clientX >= r.left && e.clientX <= r.right && e.clientY >= r.top && e.clientY <= r.bottom
      if (!inside) void this.requestClose()
      return
    }
    const closer = e
      .composedPath()
      .find((n) => n instanceof HTMLElement && n.hasAttribute('data-close'))
    if (closer && !(closer as HTMLButtonElement).disabled) void this.requestClose()
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
        <button class="btn ghost icon-only" @click=${() => this.requestClose()} aria-label=${t('common.close')}>
          ${icon('x')}
        </button>
      </header>
      <div class="body">
        ${this.error ? html`<div class="callout error" role="alert" data-testid="dialog-error">${this.error}</div>` : ''}
        <slot></slot>
      </div>
      <footer><slot name="footer"></slot></footer>
      ${this.open ? html`<crs-toast></crs-toast>` : ''}
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
