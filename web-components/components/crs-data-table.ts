import { html, nothing, type TemplateResult } from 'lit'
import { t } from '../i18n/i18n.ts'
import { CrsElement } from '../lib/crs-element.ts'
import { emptyBlock, errorBlock, loadingBlock } from '../lib/states.ts'

/** One column. `render` is a method so typed columns fit `Column<unknown>`. */
export interface Column<T> {
  key: string
  label: string
  sortable?: boolean
  num?: boolean
  /** Hidden on narrow screens (720 px and less). */
  wide?: boolean
  /** Shown only on very wide screens (over 1500 px). */
  xl?: boolean
  render(row: T): TemplateResult | string | number | typeof nothing
}

/**
 * @summary A table with sortable headers, keyboard-activatable rows, optional row selection,
 * optional one-line rows (`nowrap`), columns hidden on narrow (`wide`) or shown only on very wide
 * (`xl`) screens, and loading / empty / error states. Renders without a shadow root.
 * @event crs-sort - `{ key, dir }` when a sortable header is chosen.
 * @event crs-row-activate - The row (object) on click, Enter or Space.
 * @event crs-selection-change - The selected row ids.
 * @event crs-retry - The retry button of the error state.
 */
export class CrsDataTable extends CrsElement {
  static override properties = {
    columns: { attribute: false },
    rows: { attribute: false },
    rowId: { attribute: false },
    caption: { type: String },
    sortKey: { type: String },
    sortDir: { type: String },
    loading: { type: Boolean },
    error: { attribute: false },
    emptyText: { type: String },
    activatable: { type: Boolean },
    selectable: { type: Boolean },
    selected: { attribute: false },
    nowrap: { type: Boolean },
  }
  declare columns: Column<unknown>[]
  declare rows: unknown[]
  declare rowId: (row: unknown) => string
  declare caption: string
  declare sortKey: string
  declare sortDir: 'asc' | 'desc'
  declare loading: boolean
  declare error: unknown
  declare emptyText: string
  declare activatable: boolean
  declare selectable: boolean
  declare selected: string[]
  declare nowrap: boolean

  constructor() {
    super()
    this.columns = []
    this.rows = []
    this.rowId = (r) => String((r as { id?: unknown }).id ?? '')
    this.caption = ''
    this.sortKey = ''
    this.sortDir = 'desc'
    this.loading = false
    this.error = null
    this.emptyText = ''
    this.activatable = false
    this.selectable = false
    this.selected = []
    this.nowrap = false
  }

  /**
   * No shadow root: the table renders into the page that holds it, so what its cells render is
   * styled by that page (its styles live in the shared styles, under `crs-data-table`).
   */
  protected override createRenderRoot(): HTMLElement {
    return this
  }

  private sort(c: Column<unknown>) {
    const dir = this.sortKey === c.key && this.sortDir === 'desc' ? 'asc' : 'desc'
    this.emit('crs-sort', { key: c.key, dir })
  }

  private activate(row: unknown, e: Event) {
    const interactive = e
      .composedPath()
      .some(
        (n) =>
          n instanceof HTMLElement &&
          n !== e.currentTarget &&
          ['BUTTON', 'A', 'INPUT', 'SELECT', 'LABEL', 'TEXTAREA'].includes(n.tagName),
      )
    if (interactive) return
    this.emit('crs-row-activate', row)
  }

  private onKey(row: unknown, e: KeyboardEvent) {
    if (e.target !== e.currentTarget) return
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault()
      this.emit('crs-row-activate', row)
    } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault()
      const tr = e.currentTarget as HTMLElement
      const next = (
        e.key === 'ArrowDown' ? tr.nextElementSibling : tr.previousElementSibling
      ) as HTMLElement | null
      next?.focus()
    }
  }

  private toggle(id: string, on: boolean) {
    const set = new Set(this.selected)
    if (on) set.add(id)
    else set.delete(id)
    this.emit('crs-selection-change', [...set])
  }

  private toggleAll(on: boolean) {
    this.emit('crs-selection-change', on ? this.rows.map((r) => this.rowId(r)) : [])
  }

  override render() {
    if (this.error && !this.rows.length) return errorBlock(this.error, () => this.emit('crs-retry'))
    if (this.loading && !this.rows.length)
      return html`<div class="table-wrap">${loadingBlock()}</div>`
    if (!this.rows.length)
      return html`<div class="table-wrap">${emptyBlock(this.emptyText || t('common.empty'))}</div>`
    const sel = new Set(this.selected)
    const allOn = this.rows.length > 0 && this.rows.every((r) => sel.has(this.rowId(r)))
    return html`${this.error ? errorBlock(this.error, () => this.emit('crs-retry')) : ''}
      <div class="table-wrap ${this.loading ? 'overlay' : ''}" aria-busy=${this.loading ? 'true' : 'false'}>
        <table class=${this.nowrap ? 'nowrap' : ''}>
          ${this.caption ? html`<caption class="sr-only">${this.caption}</caption>` : ''}
          <thead>
            <tr>
              ${
                this.selectable
                  ? html`<th class="sel">
                      <input
                        type="checkbox"
                        aria-label=${t('common.selectAll')}
                        .checked=${allOn}
                        @change=${(e: Event) => this.toggleAll((e.target as HTMLInputElement).checked)}
                      />
                    </th>`
                  : ''
              }
              ${this.columns.map((c) => {
                const sorted = this.sortKey === c.key
                const aria = sorted ? (this.sortDir === 'asc' ? 'ascending' : 'descending') : 'none'
                return html`<th
                  class="${c.num ? 'num' : ''} ${c.wide ? 'wide' : ''} ${c.xl ? 'xl' : ''}"
                  scope="col"
                  aria-sort=${c.sortable ? aria : nothing}
                >
                  ${
                    c.sortable
                      ? html`<button @click=${() => this.sort(c)}>
                          ${c.label}<span class="arrow" aria-hidden="true"
                            >${sorted ? (this.sortDir === 'asc' ? '▲' : '▼') : '↕'}</span
                          >
                        </button>`
                      : c.label
                  }
                </th>`
              })}
            </tr>
          </thead>
          <tbody>
            ${this.rows.map((row) => {
              const id = this.rowId(row)
              return html`<tr
                class=${this.activatable ? 'activatable' : ''}
                tabindex=${this.activatable ? '0' : nothing}
                data-id=${id}
                @click=${this.activatable ? (e: Event) => this.activate(row, e) : nothing}
                @keydown=${this.activatable ? (e: KeyboardEvent) => this.onKey(row, e) : nothing}
              >
                ${
                  this.selectable
                    ? html`<td class="sel">
                        <input
                          type="checkbox"
                          aria-label=${t('common.select')}
                          .checked=${sel.has(id)}
                          @change=${(e: Event) => this.toggle(id, (e.target as HTMLInputElement).checked)}
                        />
                      </td>`
                    : ''
                }
                ${this.columns.map(
                  (c) =>
                    html`<td class="${c.num ? 'num' : ''} ${c.wide ? 'wide' : ''} ${c.xl ? 'xl' : ''}">${c.render(row)}</td>`,
                )}
              </tr>`
            })}
          </tbody>
        </table>
      </div>`
  }
}

customElements.define('crs-data-table', CrsDataTable)
declare global {
  interface HTMLElementTagNameMap {
    'crs-data-table': CrsDataTable
  }
}
