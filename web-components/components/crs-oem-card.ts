import { html } from 'lit'
import { api } from '../api/client.ts'
import type { OemSettings } from '../api/types.ts'
import { t } from '../i18n/i18n.ts'
import { CrsElement } from '../lib/crs-element.ts'
import { errorBlock, loadingBlock } from '../lib/states.ts'
import { toast, toastError } from '../lib/toast.ts'
import { sharedStyles } from '../styles/shared-styles.ts'

/** Largest icon file taken (the server's limit is 350 KB of base64). */
const MAX_ICON_BYTES = 256 * 1024

/**
 * @summary The site's name and icon (OEM settings), shown in the header and on the public page.
 * @fires crs-oem - after a save, so the shell shows the new name and icon.
 */
export class CrsOemCard extends CrsElement {
  static override properties = {
    oem: { state: true },
    error: { state: true },
    busy: { state: true },
    iconData: { state: true },
  }
  static override styles = [sharedStyles]
  declare oem: OemSettings | null
  declare error: unknown
  declare busy: boolean
  declare iconData: string

  constructor() {
    super()
    this.oem = null
    this.error = null
    this.busy = false
    this.iconData = ''
  }

  override connectedCallback(): void {
    super.connectedCallback()
    void this.load()
  }

  private async load() {
    try {
      this.oem = await api.oem()
      this.iconData = this.oem.siteIconData
      this.error = null
    } catch (err) {
      this.error = err
    }
  }

  private async pickIcon(e: Event) {
    const file = (e.target as HTMLInputElement).files?.[0]
    if (!file) return
    if (file.size > MAX_ICON_BYTES) {
      toast(t('oem.iconTooLarge'), 'error')
      return
    }
    const bytes = new Uint8Array(await file.arrayBuffer())
    let bin = ''
    for (const b of bytes) bin += String.fromCharCode(b)
    this.iconData = `data:${file.type || 'image/png'};base64,${btoa(bin)}`
  }

  private async save(e: SubmitEvent) {
    e.preventDefault()
    const fd = new FormData(e.target as HTMLFormElement)
    this.busy = true
    try {
      this.oem = await api.saveOem({
        siteName: String(fd.get('siteName') ?? ''),
        siteIconData: this.iconData,
        showAdminButton: fd.get('showAdminButton') === 'on',
      })
      toast(t('oem.saved'), 'success')
      window.dispatchEvent(new CustomEvent('crs-oem', { detail: this.oem }))
    } catch (err) {
      toastError(err)
    } finally {
      this.busy = false
    }
  }

  override render() {
    const o = this.oem
    return html`<section class="card" aria-labelledby="oem-h">
      <h2 id="oem-h">${t('oem.title')}</h2>
      ${
        !o
          ? this.error
            ? errorBlock(this.error, () => this.load())
            : loadingBlock()
          : html`<form class="stack" novalidate @submit=${this.save} data-testid="oem-settings">
              <label class="field"><span>${t('oem.siteName')}</span><input name="siteName" maxlength="100" .value=${o.siteName} /></label>
              <label class="field"><span>${t('oem.icon')}</span><input type="file" name="icon" accept="image/*" @change=${this.pickIcon} /></label>
              ${
                this.iconData
                  ? html`<div class="row"><img src=${this.iconData} alt="" width="32" height="32" /><button class="btn small" type="button" @click=${() => {
                      this.iconData = ''
                    }}>${t('oem.removeIcon')}</button></div>`
                  : ''
              }
              <label class="check"><input type="checkbox" name="showAdminButton" .checked=${o.showAdminButton} />${t('oem.showAdminButton')}</label>
              <div><button class="btn primary" type="submit" ?disabled=${this.busy}>${t('common.save')}</button></div>
            </form>`
      }
    </section>`
  }
}

customElements.define('crs-oem-card', CrsOemCard)
declare global {
  interface HTMLElementTagNameMap {
    'crs-oem-card': CrsOemCard
  }
}
