import { css, html, nothing, unsafeCSS } from 'lit'
import { t } from '../i18n/i18n.ts'
import { CrsElement } from '../lib/crs-element.ts'
import { type IconName, icon } from '../lib/icons.ts'
import { POPOVER_CSS, placePopover } from '../lib/popover.ts'
import { sharedStyles } from '../styles/shared-styles.ts'

/** One entry of a {@link CrsMenu}. */
export interface MenuItem {
  label: string
  icon?: IconName
  danger?: boolean
  disabled?: boolean
  /** Shown after the label (e.g. a shortcut or a state). */
  note?: string
  run: () => void
}

/**
 * @summary An actions button (labelled for screen readers and on hover, e.g. "Actions for
 * alice"; `text` adds a visible label) that opens a menu of actions (keyboard: arrows, Home, End,
 * Esc; light dismiss), shown in the top layer so a table never clips it. Rows stay one line.
 */
export class CrsMenu extends CrsElement {
  static override properties = {
    label: { type: String },
    text: { type: String },
    items: { attribute: false },
    open: { state: true },
  }
  static override styles = [
    sharedStyles,
    css`
      :host {
        display: inline-block;
      }
      ${unsafeCSS(POPOVER_CSS)}
      [role='menu'] {
        display: none;
        flex-direction: column;
        gap: 1px;
      }
      [role='menu']:popover-open {
        display: flex;
      }
      [role='menuitem'] {
        all: unset;
        display: flex;
        align-items: center;
        gap: 8px;
        padding: 7px 10px;
        border-radius: 6px;
        cursor: pointer;
        white-space: nowrap;
      }
      [role='menuitem']:hover,
      [role='menuitem']:focus-visible {
        background: var(--crs-surface-2);
        outline: none;
      }
      [role='menuitem'].danger {
        color: var(--crs-danger);
      }
      [role='menuitem'][aria-disabled='true'] {
        opacity: 0.5;
        cursor: not-allowed;
      }
      .note {
        margin-left: auto;
        padding-left: 12px;
        color: var(--crs-text-muted);
        font-size: 12px;
      }
      @media (max-width: 720px) {
        .text {
          display: none;
        }
      }
    `,
  ]
  declare label: string
  declare text: string
  declare items: MenuItem[]
  declare open: boolean

  constructor() {
    super()
    this.label = ''
    this.text = ''
    this.items = []
    this.open = false
  }

  private get pop(): HTMLElement | null {
    return this.renderRoot.querySelector('[role="menu"]')
  }

  private get trigger(): HTMLElement | null {
    return this.renderRoot.querySelector('button.trigger')
  }

  private entries(): HTMLElement[] {
    return [...this.renderRoot.querySelectorAll<HTMLElement>('[role="menuitem"]')]
  }

  private show(focus: 'first' | 'last') {
    const pop = this.pop
    const trigger = this.trigger
    if (!pop || !trigger) return
    pop.showPopover()
    placePopover(trigger, pop)
    const list = this.entries().filter((e) => e.getAttribute('aria-disabled') !== 'true')
    ;(focus === 'first' ? list[0] : list.at(-1))?.focus()
  }

  private hide(returnFocus: boolean) {
    if (this.pop?.matches(':popover-open')) this.pop.hidePopover()
    if (returnFocus) this.trigger?.focus()
  }

  private onTriggerKey(e: KeyboardEvent) {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault()
      this.show(e.key === 'ArrowDown' ? 'first' : 'last')
    }
  }

  private onMenuKey(e: KeyboardEvent) {
    const list = this.entries().filter((x) => x.getAttribute('aria-disabled') !== 'true')
    const at = list.indexOf((this.renderRoot as ShadowRoot).activeElement as HTMLElement)
    const go = (i: number) => list[(i + list.length) % list.length]?.focus()
    if (e.key === 'ArrowDown') go(at + 1)
    else if (e.key === 'ArrowUp') go(at - 1)
    else if (e.key === 'Home') go(0)
    else if (e.key === 'End') go(list.length - 1)
    else if (e.key === 'Escape') this.hide(true)
    else if (e.key === 'Tab') this.hide(false)
    else return
    e.preventDefault()
  }

  private choose(item: MenuItem) {
    if (item.disabled) return
    this.hide(true)
    item.run()
  }

  override render() {
    return html`<button
        class="btn small trigger"
        aria-haspopup="menu"
        aria-expanded=${this.open ? 'true' : 'false'}
        aria-label=${this.label || this.text || t('common.actions')}
        title=${this.label || nothing}
        @click=${() => (this.open ? this.hide(false) : this.show('first'))}
        @keydown=${this.onTriggerKey}
      >
        ${icon('more')}${this.text ? html`<span class="text">${this.text}</span>` : ''}
      </button>
      <div
        role="menu"
        popover="auto"
        aria-label=${this.label || this.text || t('common.actions')}
        @keydown=${this.onMenuKey}
        @toggle=${(e: ToggleEvent) => {
          this.open = e.newState === 'open'
        }}
      >
        ${this.items.map(
          (item) => html`<button
            role="menuitem"
            tabindex="-1"
            class=${item.danger ? 'danger' : ''}
            aria-disabled=${item.disabled ? 'true' : 'false'}
            @click=${() => this.choose(item)}
          >
            ${item.icon ? icon(item.icon) : ''}<span>${item.label}</span>${item.note ? html`<span class="note">${item.note}</span>` : ''}
          </button>`,
        )}
      </div>`
  }
}

customElements.define('crs-menu', CrsMenu)
declare global {
  interface HTMLElementTagNameMap {
    'crs-menu': CrsMenu
  }
}
