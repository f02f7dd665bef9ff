import { css, html, nothing, type TemplateResult } from 'lit'
import { t } from '../i18n/i18n.ts'
import { CrsElement } from '../lib/crs-element.ts'
import { emptyBlock, errorBlock, loadingBlock } from '../lib/states.ts'
import { sharedStyles } from '../styles/shared-styles.ts'

/** One column. `render` is a method so typed columns fit `Column<unknown>`. */
export interface Column<T> {
  key: string
  label: string
  sortable?: boolean
  num?: boolean
  /** Hidden on narrow screens. */
  wide?: boolean
  render(row: T): TemplateResult | string | number | typeof nothing
}

/**
 * @summary A table with sortable headers, keyboard-activatable rows, optional row selection and
 * loading / empty / error states.
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
  }
  static override styles = [
    sharedStyles,
    css`
      :host {
        display: block;
      }
      th button {
        all: unset;
        cursor: pointer;
        display: inline-flex;
        gap: 4px;
        align-items: center;
      }
      th button:focus-visible {
        outline: 2px solid var(--crs-focus);
        outline-offset: 2px;
      }
      tr.activatable {
        cursor: pointer;
      }
      tr.activatable:hover td,
      tr.activatable:focus-visible td {
        background: var(--crs-surface-2);
      }
      tr:focus-visible {
        outline: 2px solid var(--crs-focus);
        outline-offset: -2px;
      }
      .sel {
        width: 36px;
      }
      .arrow {
        font-size: 10px;
      }
      .overlay {
        opacity: 0.55;
      }
      @media (max-width: 720px) {
        .wide {
          display: none;
        }
        th,
        td {
          padding: 7px 8px;
        }
      }
    `,
  ]
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
        <table>
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
                  class="${c.num ? 'num' : ''} ${c.wide ? 'wide' : ''}"
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
                    html`<td class="${c.num ? 'num' : ''} ${c.wide ? 'wide' : ''}">${c.render(row)}</td>`,
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
