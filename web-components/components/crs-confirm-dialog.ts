import { html } from 'lit'
import { t } from '../i18n/i18n.ts'
import { CrsElement } from '../lib/crs-element.ts'
import { sharedStyles } from '../styles/shared-styles.ts'
import './crs-dialog.ts'

/**
 * @summary A yes/no confirmation, optionally asking to type a word first. Opened by
 * `confirmAction()` in lib/confirm.ts.
 * @event crs-confirm-result - `detail` is true when confirmed.
 */
export class CrsConfirmDialog extends CrsElement {
  static override properties = {
    heading: { type: String },
    message: { type: String },
    detail: { type: String },
    confirmLabel: { type: String },
    cancelLabel: { type: String },
    danger: { type: Boolean },
    requireText: { type: String },
    typed: { state: true },
  }
  static override styles = [sharedStyles]
  declare heading: string
  declare message: string
  declare detail: string
  declare confirmLabel: string
  declare cancelLabel: string
  declare danger: boolean
  declare requireText: string
  declare typed: string

  constructor() {
    super()
    this.heading = ''
    this.message = ''
    this.detail = ''
    this.confirmLabel = ''
    this.cancelLabel = ''
    this.danger = false
    this.requireText = ''
    this.typed = ''
  }

  private done(ok: boolean) {
    this.emit('crs-confirm-result', ok)
  }

  override render() {
    const blocked = !!this.requireText && this.typed.trim() !== this.requireText
    return html`<crs-dialog open .heading=${this.heading || t('common.confirm')} @crs-close=${() => this.done(false)}>
      <p>${this.message}</p>
      ${this.detail ? html`<p class="callout warn">${this.detail}</p>` : ''}
      ${
        this.requireText
          ? html`<label class="field"
              ><span>${t('hist.cleanupConfirm')}</span
              ><input
                name="confirm-text"
                autocomplete="off"
                .value=${this.typed}
                @input=${(e: Event) => {
                  this.typed = (e.target as HTMLInputElement).value
                }}
            /></label>`
          : ''
      }
      <button slot="footer" class="btn" @click=${() => this.done(false)}>${this.cancelLabel || t('common.cancel')}</button>
      <button
        slot="footer"
        class="btn ${this.danger ? 'danger solid' : 'primary'}"
        data-confirm
        ?disabled=${blocked}
        @click=${() => this.done(true)}
      >
        ${this.confirmLabel || t('common.confirm')}
      </button>
    </crs-dialog>`
  }
}

customElements.define('crs-confirm-dialog', CrsConfirmDialog)
declare global {
  interface HTMLElementTagNameMap {
    'crs-confirm-dialog': CrsConfirmDialog
  }
}
