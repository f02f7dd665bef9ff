/**
 * @module
 * Base class of every `crs-` element: re-renders when the language changes and emits
 * `crs-*` events that bubble out of shadow roots.
 */
import { LitElement } from 'lit'

export class CrsElement extends LitElement {
  private readonly onLocale = () => this.requestUpdate()

  override connectedCallback(): void {
    super.connectedCallback()
    window.addEventListener('crs-locale-change', this.onLocale)
  }

  override disconnectedCallback(): void {
    window.removeEventListener('crs-locale-change', this.onLocale)
    super.disconnectedCallback()
  }

  /** Dispatches a `crs-*` event (bubbles, composed). */
  protected emit<T>(name: `crs-${string}`, detail?: T): void {
    this.dispatchEvent(new CustomEvent(name, { bubbles: true, composed: true, detail }))
  }
}
