/**
 * @module
 * Form fields shared by every dialog (label, control, hint and error, wired for screen readers)
 * and the mapping of a server error to the field it names.
 */
import { html, nothing, type TemplateResult } from 'lit'
import { errorText } from './toast.ts'

/** A text-like input with its label, optional hint and error. */
export function inputField(o: {
  name: string
  label: string
  value: string
  onInput: (value: string) => void
  error?: string
  type?: string
  placeholder?: string
  autocomplete?: string
  hint?: string | TemplateResult
  list?: string
  min?: string
}): TemplateResult {
  const describedBy = [o.error ? `${o.name}-err` : '', o.hint ? `${o.name}-hint` : '']
    .filter(Boolean)
    .join(' ')
  return html`<label class="field"
    ><span>${o.label}</span>
    <input
      name=${o.name}
      type=${o.type ?? 'text'}
      placeholder=${o.placeholder ?? ''}
      autocomplete=${o.autocomplete ?? 'off'}
      list=${o.list ?? nothing}
      min=${o.min ?? nothing}
      .value=${o.value}
      aria-invalid=${o.error ? 'true' : 'false'}
      aria-describedby=${describedBy || nothing}
      @input=${(e: Event) => o.onInput((e.target as HTMLInputElement).value)}
    />${o.hint ? html`<span class="hint" id="${o.name}-hint">${o.hint}</span>` : ''}${
      o.error ? html`<span class="field-error" id="${o.name}-err">${o.error}</span>` : ''
    }</label
  >`
}

/** A select with its label and optional error. */
export function selectField(o: {
  name: string
  label: string
  value: string
  options: readonly (readonly [string, string])[]
  onChange: (value: string) => void
  error?: string
}): TemplateResult {
  return html`<label class="field"
    ><span>${o.label}</span>
    <select
      name=${o.name}
      aria-invalid=${o.error ? 'true' : 'false'}
      @change=${(e: Event) => o.onChange((e.target as HTMLSelectElement).value)}
    >
      ${o.options.map(([v, l]) => html`<option value=${v} ?selected=${o.value === v}>${l}</option>`)}
    </select>${o.error ? html`<span class="field-error">${o.error}</span>` : ''}</label
  >`
}

const PATTERNS = [
  // "Invalid account field apiUrl: …" (stored-shape validation)
  /^Invalid [\w -]+ field ([\w.[\]]+): /,
  // "Invalid request at /name: …" (request schema validation)
  /^Invalid request at \/([\w/[\]]+): /,
  // "Invalid account: apiKey is required"
  /^Invalid [\w -]+: ([\w.]+) /,
  // "apiUrl: expected an http(s) URL"
  /^([\w.[\]]+): /,
]

/**
 * The form field a server error names, when it is one of `fields`: "apiUrl: …",
 * "Invalid account field name: …", "Invalid account: apiKey is required", "Invalid request at
 * /name: …". `aliases` maps the server's names to the form's (`proxy.host` → `proxyHost`).
 */
export function serverFieldError(
  err: unknown,
  fields: readonly string[],
  aliases: Record<string, string> = {},
): { field: string; message: string } | null {
  const message = errorText(err)
  for (const re of PATTERNS) {
    const m = re.exec(message)
    if (!m?.[1]) continue
    const name = m[1].replaceAll('/', '.')
    const field = aliases[name] ?? name
    if (fields.includes(field)) return { field, message }
  }
  return null
}

/** Focuses the first control marked invalid inside a root, once it rendered. */
export function focusInvalid(root: ParentNode, rendered: Promise<unknown>): void {
  void rendered.then(() => root.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus())
}

/** A form that shows server errors next to its fields (`errors`) or at its top (`serverError`). */
export interface ServerErrorHost {
  errors: Record<string, string>
  serverError: string
  values: Record<string, unknown>
  renderRoot: ParentNode
  updateComplete: Promise<unknown>
}

/** A server error next to the form field it names (focused), else at the top of the form. */
export function showServerError(
  host: ServerErrorHost,
  err: unknown,
  aliases: Record<string, string> = {},
): void {
  const named = serverFieldError(err, Object.keys(host.values), aliases)
  if (named) {
    host.errors = { ...host.errors, [named.field]: named.message }
    focusInvalid(host.renderRoot, host.updateComplete)
  } else host.serverError = errorText(err)
}
