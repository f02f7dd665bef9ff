import { css, html } from 'lit'
import { t } from '../i18n/i18n.ts'
import { CrsElement } from '../lib/crs-element.ts'
import { icon } from '../lib/icons.ts'
import {
  addToastRegion,
  dismissToast,
  isActiveToastRegion,
  type ToastItem,
  toastItems,
} from '../lib/toast.ts'
import { sharedStyles } from '../styles/shared-styles.ts'

/**
 * @summary A region that shows the messages sent with `toast()`; errors are announced
 * assertively. The shell has one and every open dialog has its own, so messages are always on top
 * and clickable (only the newest region shows them).
 */
export class CrsToast extends CrsElement {
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
        text-align: left;
        font-size: 14px;
        font-weight: normal;
      }
      .toast {
        pointer-events: auto;
        display: flex;
        align-items: flex-start;
        gap: 8px;
        padding: 10px 12px;
        border-radius: 8px;
        background: var(--crs-surface);
        color: var(--crs-text);
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
  private unregister: (() => void) | null = null

  override connectedCallback(): void {
    super.connectedCallback()
    this.unregister = addToastRegion(this, () => this.requestUpdate())
  }

  override disconnectedCallback(): void {
    this.unregister?.()
    this.unregister = null
    super.disconnectedCallback()
  }

  override render() {
    const shown = isActiveToastRegion(this) ? toastItems() : []
    const one = (i: ToastItem) =>
      html`<div class="toast ${i.kind}" data-kind=${i.kind}>
        <span class="msg">${i.message}</span>
        <button class="btn ghost small" @click=${() => dismissToast(i.id)} aria-label=${t('common.close')}>
          ${icon('x')}
        </button>
      </div>`
    return html`<div role="alert" aria-live="assertive">${shown.filter((i) => i.kind === 'error').map(one)}</div>
      <div role="status" aria-live="polite">${shown.filter((i) => i.kind !== 'error').map(one)}</div>`
  }
}

customElements.define('crs-toast', CrsToast)
declare global {
  interface HTMLElementTagNameMap {
    'crs-toast': CrsToast
  }
}
