import { html } from 'lit'
import { t } from '../i18n/i18n.ts'
import { CrsElement } from '../lib/crs-element.ts'
import { copyText } from '../lib/download.ts'
import { icon } from '../lib/icons.ts'
import { toast } from '../lib/toast.ts'
import { sharedStyles } from '../styles/shared-styles.ts'

/**
 * @summary A button that copies `value` to the clipboard and confirms with a toast.
 * @event crs-copied - After a successful copy.
 */
export class CrsCopyButton extends CrsElement {
  static override properties = {
    value: { type: String },
    label: { type: String },
    done: { state: true },
  }
  static override styles = [sharedStyles]
  declare value: string
  declare label: string
  declare done: boolean

  constructor() {
    super()
    this.value = ''
    this.label = ''
    this.done = false
  }

  private async copy() {
    if (await copyText(this.value)) {
      this.done = true
      toast(t('common.copied'), 'success')
      this.emit('crs-copied')
      setTimeout(() => {
        this.done = false
      }, 1500)
    } else toast(t('common.copyFailed'), 'error')
  }

  override render() {
    const text = this.label || t('common.copy')
    return html`<button class="btn small" @click=${this.copy} aria-label=${text}>
      ${icon(this.done ? 'check' : 'copy')}<span>${this.done ? t('common.copied') : text}</span>
    </button>`
  }
}

customElements.define('crs-copy-button', CrsCopyButton)
declare global {
  interface HTMLElementTagNameMap {
    'crs-copy-button': CrsCopyButton
  }
}
