import { css, html } from 'lit'
import { t } from '../i18n/i18n.ts'
import { CrsElement } from '../lib/crs-element.ts'
import { fmtInt } from '../lib/format.ts'
import { icon } from '../lib/icons.ts'
import { sharedStyles } from '../styles/shared-styles.ts'

/**
 * @summary Page controls with the exact total and a page-size choice.
 * @event crs-page - `{ page, pageSize }` (pages start at 1).
 */
export class CrsPagination extends CrsElement {
  static override properties = {
    total: { type: Number },
    page: { type: Number },
    pageSize: { type: Number },
    sizes: { attribute: false },
  }
  static override styles = [
    sharedStyles,
    css`
      :host {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        justify-content: space-between;
        gap: 8px;
        margin-top: 10px;
      }
      select {
        width: auto;
      }
    `,
  ]
  declare total: number
  declare page: number
  declare pageSize: number
  declare sizes: number[]

  constructor() {
    super()
    this.total = 0
    this.page = 1
    this.pageSize = 20
    this.sizes = [20, 50, 100]
  }

  private go(page: number, pageSize = this.pageSize) {
    this.emit('crs-page', { page, pageSize })
  }

  override render() {
    const pages = Math.max(1, Math.ceil(this.total / this.pageSize))
    const from = this.total === 0 ? 0 : (this.page - 1) * this.pageSize + 1
    const to = Math.min(this.total, this.page * this.pageSize)
    return html`<span class="muted" aria-live="polite"
        >${t('common.pageOf', { from: fmtInt(from), to: fmtInt(to), total: fmtInt(this.total) })}</span
      >
      <div class="row">
        <label class="row small muted"
          >${t('common.rowsPerPage')}
          <select
            .value=${String(this.pageSize)}
            @change=${(e: Event) => this.go(1, Number((e.target as HTMLSelectElement).value))}
          >
            ${this.sizes.map((s) => html`<option value=${s} ?selected=${s === this.pageSize}>${s}</option>`)}
          </select></label
        >
        <button class="btn icon-only" ?disabled=${this.page <= 1} @click=${() => this.go(this.page - 1)} aria-label=${t('common.prev')}>
          ${icon('chevronLeft')}
        </button>
        <span class="small">${t('common.page', { page: this.page, pages })}</span>
        <button class="btn icon-only" ?disabled=${this.page >= pages} @click=${() => this.go(this.page + 1)} aria-label=${t('common.next')}>
          ${icon('chevronRight')}
        </button>
      </div>`
  }
}

customElements.define('crs-pagination', CrsPagination)
declare global {
  interface HTMLElementTagNameMap {
    'crs-pagination': CrsPagination
  }
}
