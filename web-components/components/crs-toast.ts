import { css, html } from 'lit'
import { t } from '../i18n/i18n.ts'
import { CrsElement } from '../lib/crs-element.ts'
import { icon } from '../lib/icons.ts'
import type { ToastKind } from '../lib/toast.ts'
import { sharedStyles } from '../styles/shared-styles.ts'

interface Item {
  id: number
  message: string
  kind: ToastKind
}

/**
 * @summary Shows the messages sent with `toast()` (window event `crs-toast`); errors stay longer
 * and are announced assertively.
 */
export class CrsToast extends CrsElement {
  static override properties = { items: { state: true } }
  static override styles = [
    sharedStyles,
    css`
      :host {
        position: fixed;
        right: 16px;
        bottom: 16px;
        z-index: 1000;
        display: flex;
        flex-direction: column;
        gap: 8px;
        max-width: min(420px, calc(100vw - 32px));
        pointer-events: none;
      }
      .toast {
        pointer-events: auto;
        display: flex;
        align-items: flex-start;
        gap: 8px;
        padding: 10px 12px;
        border-radius: 8px;
        background: var(--crs-surface);
        border: 1px solid var(--crs-border);
        border-left: 4px solid var(--crs-primary);
        box-shadow: 0 6px 24px rgb(0 0 0 / 18%);
        overflow-wrap: anywhere;
      }
      .toast.success {
        border-left-color: var(--crs-success);
      }
      .toast.error {
        border-left-color: var(--crs-danger);
      }
      .msg {
        flex: 1;
      }
    `,
  ]
  declare items: Item[]
  private seq = 0
  private readonly onToast = (e: Event) => {
    const d = (e as CustomEvent<{ message: string; kind: ToastKind }>).detail
    const id = ++this.seq
    this.items = [...this.items.slice(-4), { id, ...d }]
    setTimeout(() => this.dismiss(id), d.kind === 'error' ? 9000 : 4000)
  }

  constructor() {
    super()
    this.items = []
  }

  override connectedCallback(): void {
    super.connectedCallback()
    window.addEventListener('crs-toast', this.onToast)
  }

  override disconnectedCallback(): void {
    window.removeEventListener('crs-toast', this.onToast)
    super.disconnectedCallback()
  }

  private dismiss(id: number) {
    this.items = this.items.filter((i) => i.id !== id)
  }

  override render() {
    const polite = this.items.filter((i) => i.kind !== 'error')
    const errors = this.items.filter((i) => i.kind === 'error')
    const one = (i: Item) =>
      html`<div class="toast ${i.kind}" data-kind=${i.kind}>
        <span class="msg">${i.message}</span>
        <button class="btn ghost small" @click=${() => this.dismiss(i.id)} aria-label=${t('common.close')}>
          ${icon('x')}
        </button>
      </div>`
    return html`<div role="alert" aria-live="assertive">${errors.map(one)}</div>
      <div role="status" aria-live="polite">${polite.map(one)}</div>`
  }
}

customElements.define('crs-toast', CrsToast)
declare global {
  interface HTMLElementTagNameMap {
    'crs-toast': CrsToast
  }
}
