import { css, html, type TemplateResult } from 'lit'
import { t } from '../i18n/i18n.ts'
import { CrsElement } from '../lib/crs-element.ts'
import { sharedStyles } from '../styles/shared-styles.ts'
import './crs-copy-button.ts'

const HIGHLIGHT_LIMIT = 200_000
const TOKEN =
  /("(?:[^"\\]|\\.)*")(\s*:)?|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|\b(true|false|null)\b|(\$ ?|#.*$)/gm

/** Splits code into highlighted spans (JSON strings, keys, numbers, literals; shell prompts). */
export function highlight(code: string): (TemplateResult | string)[] {
  if (code.length > HIGHLIGHT_LIMIT) return [code]
  const out: (TemplateResult | string)[] = []
  let last = 0
  for (const m of code.matchAll(TOKEN)) {
    const i = m.index ?? 0
    if (i > last) out.push(code.slice(last, i))
    if (m[1] !== undefined) {
      out.push(html`<span class=${m[2] ? 'k' : 's'}>${m[1]}</span>`)
      if (m[2]) out.push(m[2])
    } else if (m[3] !== undefined) out.push(html`<span class="n">${m[3]}</span>`)
    else if (m[4] !== undefined) out.push(html`<span class="l">${m[4]}</span>`)
    else out.push(html`<span class="c">${m[0]}</span>`)
    last = i + m[0].length
  }
  if (last < code.length) out.push(code.slice(last))
  return out
}

/** Pretty-prints JSON (or JSON lines); other text is returned unchanged. */
export function pretty(text: string): string {
  const s = text.trim()
  if (!s) return ''
  try {
    return JSON.stringify(JSON.parse(s), null, 2)
  } catch {
    return text
  }
}

/**
 * @summary Code with syntax highlighting and a copy button.
 * @csspart pre - The code area.
 */
export class CrsCodeBlock extends CrsElement {
  static override properties = {
    code: { type: String },
    label: { type: String },
    format: { type: Boolean },
    maxHeight: { type: String, attribute: 'max-height' },
  }
  static override styles = [
    sharedStyles,
    css`
      :host {
        display: block;
        min-width: 0;
      }
      .head {
        display: flex;
        align-items: center;
        justify-content: space-between;
        gap: 8px;
        margin-bottom: 6px;
      }
      pre {
        margin: 0;
        padding: 10px 12px;
        background: var(--crs-surface-2);
        border: 1px solid var(--crs-border);
        border-radius: 6px;
        overflow: auto;
        font-family: var(--crs-mono);
        font-size: 12.5px;
        line-height: 1.45;
        white-space: pre-wrap;
        overflow-wrap: anywhere;
      }
      .k {
        color: var(--crs-code-key);
      }
      .s {
        color: var(--crs-code-string);
      }
      .n {
        color: var(--crs-code-number);
      }
      .l {
        color: var(--crs-code-literal);
      }
      .c {
        color: var(--crs-text-muted);
      }
    `,
  ]
  declare code: string
  declare label: string
  declare format: boolean
  declare maxHeight: string

  constructor() {
    super()
    this.code = ''
    this.label = ''
    this.format = false
    this.maxHeight = '420px'
  }

  override render() {
    const text = this.format ? pretty(this.code) : this.code
    return html`<div class="head">
        <span class="small muted">${this.label}</span>
        <crs-copy-button .value=${text} .label=${t('common.copy')}></crs-copy-button>
      </div>
      <pre part="pre" tabindex="0" aria-label=${this.label || t('common.copy')} style="max-height:${this.maxHeight}"><code>${highlight(text)}</code></pre>`
  }
}

customElements.define('crs-code-block', CrsCodeBlock)
declare global {
  interface HTMLElementTagNameMap {
    'crs-code-block': CrsCodeBlock
  }
}
