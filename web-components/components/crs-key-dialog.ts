import { css, html } from 'lit'
import { api } from '../api/client.ts'
import type {
  Account,
  AccountGroup,
  ApiKey,
  CreatedKey,
  KeyInput,
  SupportedClient,
} from '../api/types.ts'
import { type MessageKey, t } from '../i18n/i18n.ts'
import { CrsElement } from '../lib/crs-element.ts'
import { saveBlob } from '../lib/download.ts'
import { focusInvalid, inputField, selectField, serverFieldError } from '../lib/form.ts'
import { BINDING_SLOTS, bindingChoices, bindingOf } from '../lib/key-binding.ts'
import { errorText, toast } from '../lib/toast.ts'
import { sharedStyles } from '../styles/shared-styles.ts'
import './crs-copy-button.ts'
import './crs-dialog.ts'

export type KeyDialogMode = 'create' | 'edit' | 'batch-create' | 'batch-edit' | 'created'

const NUMBER_FIELDS = [
  'concurrencyLimit',
  'rateLimitWindow',
  'rateLimitRequests',
  'tokenLimit',
  'rateLimitCost',
  'dailyCostLimit',
  'totalCostLimit',
  'weeklyOpusCostLimit',
] as const
type NumberField = (typeof NUMBER_FIELDS)[number]

type Values = Record<string, string | boolean | string[]>

function valuesOf(k: ApiKey | null): Values {
  const v: Values = {
    name: k?.name ?? '',
    description: k?.description ?? '',
    tags: (k?.tags ?? []).join(', '),
    isActive: k?.isActive ?? true,
    permissions: k?.permissions ?? 'all',
    expirationMode: k?.expirationMode ?? 'fixed',
    expiresAt: k?.expiresAt ? k.expiresAt.slice(0, 10) : '',
    activationDays: String(k?.activationDays ?? 30),
    activationUnit: k?.activationUnit ?? 'days',
    claudeAccountId: k?.claudeAccountId ?? '',
    claudeConsoleAccountId: k?.claudeConsoleAccountId ?? '',
    bedrockAccountId: k?.bedrockAccountId ?? '',
    openaiAccountId: k?.openaiAccountId ?? '',
    azureOpenaiAccountId: k?.azureOpenaiAccountId ?? '',
    geminiAccountId: k?.geminiAccountId ?? '',
    droidAccountId: k?.droidAccountId ?? '',
    enableModelRestriction: k?.enableModelRestriction ?? false,
    modelRestrictionMode: k?.modelRestrictionMode ?? 'deny',
    restrictedModels: (k?.restrictedModels ?? []).join('\n'),
    enableClientRestriction: k?.enableClientRestriction ?? false,
    allowedClients: k?.allowedClients ?? [],
    baseName: '',
    count: '5',
    tagOperation: 'add',
  }
  for (const f of NUMBER_FIELDS) v[f] = String(k?.[f] ?? 0)
  return v
}

/** Expiry presets of the fixed-date mode: days from today (0 = never). */
const EXPIRY_PRESETS = [7, 30, 90, 365, 0] as const

/** The `YYYY-MM-DD` of a day `days` from now (local). */
function dayFromNow(days: number): string {
  const d = new Date(Date.now() + days * 86_400_000)
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`
}

/**
 * @summary Create, edit, batch-create and batch-edit a key with every limit, restriction and
 * binding (saying which binding wins), expiry presets and tag suggestions; server errors appear
 * next to the field they name; shows new keys once with copy buttons.
 * @event crs-saved - After a successful save.
 * @event crs-close - The dialog was closed.
 */
export class CrsKeyDialog extends CrsElement {
  static override properties = {
    mode: { type: String },
    key_: { attribute: false },
    keyIds: { attribute: false },
    accounts: { attribute: false },
    groups: { attribute: false },
    tags: { attribute: false },
    values: { state: true },
    serverError: { state: true },
    touched: { state: true },
    errors: { state: true },
    busy: { state: true },
    created: { state: true },
    clients: { state: true },
  }
  static override styles = [
    sharedStyles,
    css`
      form {
        display: flex;
        flex-direction: column;
        gap: 14px;
      }
      .keybox {
        display: flex;
        align-items: center;
        gap: 8px;
        padding: 8px 10px;
        border: 1px solid var(--crs-border);
        border-radius: 6px;
        background: var(--crs-surface-2);
      }
      .keybox code {
        flex: 1;
        overflow-wrap: anywhere;
      }
      .checks {
        display: flex;
        flex-wrap: wrap;
        gap: 12px;
      }
      .chips {
        display: flex;
        flex-wrap: wrap;
        gap: 4px;
        align-items: center;
        margin-top: 6px;
      }
      .chips .btn {
        min-height: 24px;
        padding: 1px 8px;
      }
      .span-all {
        grid-column: 1 / -1;
      }
    `,
  ]
  declare mode: KeyDialogMode
  declare key_: ApiKey | null
  declare keyIds: string[]
  declare accounts: Account[]
  declare groups: AccountGroup[]
  declare tags: string[]
  declare values: Values
  declare serverError: string
  declare touched: string[]
  declare errors: Record<string, string>
  declare busy: boolean
  declare created: CreatedKey[]
  declare clients: SupportedClient[]

  constructor() {
    super()
    this.mode = 'create'
    this.key_ = null
    this.keyIds = []
    this.accounts = []
    this.groups = []
    this.tags = []
    this.values = valuesOf(null)
    this.serverError = ''
    this.touched = []
    this.errors = {}
    this.busy = false
    this.created = []
    this.clients = []
  }

  override connectedCallback(): void {
    super.connectedCallback()
    api
      .supportedClients()
      .then((c) => {
        this.clients = c
      })
      .catch((err: unknown) => {
        this.serverError = errorText(err)
      })
  }

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('key_') || (changed.has('mode') && changed.get('mode') === undefined))
      this.values = valuesOf(this.mode === 'edit' ? this.key_ : null)
  }

  /** Shows plaintext keys (after create, batch create or a new secret). */
  showCreated(keys: CreatedKey[]) {
    this.created = keys
    this.mode = 'created'
  }

  private set(name: string, value: string | boolean | string[]) {
    this.values = { ...this.values, [name]: value }
    if (!this.touched.includes(name)) this.touched = [...this.touched, name]
    if (this.errors[name]) {
      const { [name]: _drop, ...rest } = this.errors
      this.errors = rest
    }
  }

  private validate(): boolean {
    const v = this.values
    const e: Record<string, string> = {}
    const batchEdit = this.mode === 'batch-edit'
    if ((this.mode === 'create' || this.mode === 'edit') && !String(v.name).trim())
      e.name = t('common.required')
    if (this.mode === 'batch-create') {
      if (!String(v.baseName).trim()) e.baseName = t('common.required')
      const n = Number(v.count)
      if (!Number.isInteger(n) || n < 1 || n > 500) e.count = '1–500'
    }
    for (const f of NUMBER_FIELDS) {
      if (batchEdit && !this.touched.includes(f)) continue
      const n = Number(v[f])
      if (String(v[f]).trim() === '' || !Number.isFinite(n) || n < 0)
        e[f] = t('common.invalidNumber')
    }
    if (v.expirationMode === 'activation') {
      const n = Number(v.activationDays)
      if (!Number.isInteger(n) || n < 1) e.activationDays = t('common.invalidNumber')
    }
    const windowed = ['rateLimitRequests', 'tokenLimit', 'rateLimitCost'].some(
      (f) => Number(v[f]) > 0,
    )
    if (
      windowed &&
      Number(v.rateLimitWindow) <= 0 &&
      !(batchEdit && !this.touched.includes('rateLimitWindow'))
    )
      e.rateLimitWindow = t('keyDlg.windowNeeded')
    this.errors = e
    if (Object.keys(e).length) {
      focusInvalid(this.renderRoot, this.updateComplete)
      return false
    }
    return true
  }

  private payload(): Partial<KeyInput> {
    const v = this.values
    const list = (s: unknown, sep: RegExp) =>
      String(s)
        .split(sep)
        .map((x) => x.trim())
        .filter(Boolean)
    const p: Partial<KeyInput> = {
      name: String(v.name).trim(),
      description: String(v.description),
      tags: list(v.tags, /,/),
      isActive: v.isActive === true,
      permissions: v.permissions as KeyInput['permissions'],
      expirationMode: v.expirationMode as KeyInput['expirationMode'],
      expiresAt: v.expiresAt ? new Date(`${v.expiresAt}T23:59:59`).toISOString() : null,
      activationDays: Number(v.activationDays),
      activationUnit: v.activationUnit as KeyInput['activationUnit'],
      claudeAccountId: String(v.claudeAccountId),
      claudeConsoleAccountId: String(v.claudeConsoleAccountId),
      bedrockAccountId: String(v.bedrockAccountId),
      openaiAccountId: String(v.openaiAccountId),
      azureOpenaiAccountId: String(v.azureOpenaiAccountId),
      geminiAccountId: String(v.geminiAccountId),
      droidAccountId: String(v.droidAccountId),
      enableModelRestriction: v.enableModelRestriction === true,
      modelRestrictionMode: v.modelRestrictionMode as KeyInput['modelRestrictionMode'],
      restrictedModels: list(v.restrictedModels, /[\n,]/),
      enableClientRestriction: v.enableClientRestriction === true,
      allowedClients: v.allowedClients as string[],
    }
    for (const f of NUMBER_FIELDS) p[f as NumberField] = Number(v[f])
    if (this.mode === 'batch-edit') {
      const out: Record<string, unknown> = {}
      const map: Record<string, keyof KeyInput> = {
        expiresAt: 'expiresAt',
        activationDays: 'activationDays',
      }
      for (const name of this.touched) {
        const k = (map[name] ?? name) as keyof KeyInput
        if (k in p) out[k] = p[k]
      }
      if (this.touched.includes('tags')) out.tagOperation = v.tagOperation
      return out as Partial<KeyInput>
    }
    if (this.mode === 'batch-create') delete p.name
    return p
  }

  private async submit(e: Event) {
    e.preventDefault()
    if (!this.validate()) return
    this.busy = true
    this.serverError = ''
    try {
      const body = this.payload()
      if (this.mode === 'create') {
        const r = await api.createKey(body)
        toast(t('keys.created'), 'success')
        this.showCreated([{ id: r.id, name: r.name, apiKey: r.apiKey }])
      } else if (this.mode === 'batch-create') {
        const r = await api.batchCreateKeys({
          ...body,
          baseName: String(this.values.baseName).trim(),
          count: Number(this.values.count),
        })
        toast(t('keys.created'), 'success')
        this.showCreated(r)
      } else if (this.mode === 'edit' && this.key_) {
        await api.updateKey(this.key_.id, body)
        toast(t('keys.updated'), 'success')
        this.emit('crs-close')
      } else if (this.mode === 'batch-edit') {
        const r = await api.batchUpdateKeys(this.keyIds, body)
        const failed = r.results.filter((x) => !x.ok)
        this.emit('crs-saved')
        if (failed.length) {
          this.serverError = t('keyDlg.batchFailed', {
            n: failed.length,
            list: failed.map((f) => `${f.id.slice(0, 8)}: ${f.error}`).join('\n'),
          })
          return
        }
        toast(t('keys.updated'), 'success')
        this.emit('crs-close')
        return
      }
      this.emit('crs-saved')
    } catch (err) {
      this.showServerError(err)
    } finally {
      this.busy = false
    }
  }

  /** A server error next to the field it names, else at the top of the dialog. */
  private showServerError(err: unknown) {
    const named = serverFieldError(err, Object.keys(this.values))
    if (named) {
      this.errors = { ...this.errors, [named.field]: named.message }
      focusInvalid(this.renderRoot, this.updateComplete)
    } else this.serverError = errorText(err)
  }

  private text(
    name: string,
    label: MessageKey,
    opts: { type?: string; placeholder?: string; hint?: unknown } = {},
  ) {
    return inputField({
      name,
      label: t(label),
      value: String(this.values[name] ?? ''),
      error: this.errors[name],
      type: opts.type,
      placeholder: opts.placeholder,
      hint: opts.hint as string | undefined,
      onInput: (v) => this.set(name, v),
    })
  }

  private num(name: NumberField) {
    return this.text(name, `keyDlg.${name}` as MessageKey, {
      type: 'number',
      placeholder: this.mode === 'batch-edit' ? t('keyDlg.unchanged') : '0',
    })
  }

  private check(name: string, label: MessageKey) {
    return html`<label class="check"
      ><input
        type="checkbox"
        name=${name}
        .checked=${this.values[name] === true}
        @change=${(e: Event) => this.set(name, (e.target as HTMLInputElement).checked)}
      />${t(label)}</label
    >`
  }

  private select(name: string, label: MessageKey, options: [string, string][]) {
    return selectField({
      name,
      label: t(label),
      value: String(this.values[name] ?? ''),
      options,
      error: this.errors[name],
      onChange: (v) => this.set(name, v),
    })
  }

  /** Existing tags not in the field yet, one click each. */
  private tagSuggestions() {
    const have = new Set(
      String(this.values.tags)
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    )
    const left = this.tags.filter((x) => !have.has(x))
    if (!left.length) return ''
    return html`<div class="chips span-all" aria-label=${t('keyDlg.tagSuggestions')}>
      <span class="hint">${t('keyDlg.tagSuggestions')}</span>
      ${left.map(
        (tag) =>
          html`<button type="button" class="btn small" data-tag=${tag} @click=${() =>
            this.set('tags', [...have, tag].join(', '))}>+ ${tag}</button>`,
      )}
    </div>`
  }

  /** Fixed-date expiry: the date field and one-click presets. */
  private expiryFields() {
    return html`${this.text('expiresAt', 'keyDlg.expiresAt', { type: 'date' })}
      <div class="chips span-all" role="group" aria-label=${t('keyDlg.expiryPresets')}>
        <span class="hint">${t('keyDlg.expiryPresets')}</span>
        ${EXPIRY_PRESETS.map(
          (d) =>
            html`<button type="button" class="btn small" data-preset=${d} @click=${() =>
              this.set('expiresAt', d ? dayFromNow(d) : '')}>${
              d === 0
                ? t('common.never')
                : d === 365
                  ? t('keyDlg.preset.year')
                  : t('keyDlg.preset.days', { n: d })
            }</button>`,
        )}
      </div>`
  }

  /** Which binding applies when both are set (the Claude one, as the scheduler picks). */
  private bindingNote() {
    const v = this.values
    const b = bindingOf(
      {
        claudeAccountId: String(v.claudeAccountId),
        claudeConsoleAccountId: String(v.claudeConsoleAccountId),
      },
      this.accounts,
      this.groups,
    )
    return b.ignored
      ? html`<p class="callout warn" role="status" data-testid="binding-note" style="margin:10px 0 0">${t('keyDlg.bindingBoth', { active: b.active, ignored: b.ignored })}</p>`
      : html`<p class="hint" style="margin:8px 0 0">${t('keyDlg.bindingRule')}</p>`
  }

  private createdView() {
    const text = this.created.map((k) => `${k.name}\t${k.apiKey}`).join('\n')
    return html`<crs-dialog open .heading=${t('keyDlg.newKeys')} @crs-close=${() => this.emit('crs-close')}>
      <p class="callout warn" role="alert">${t('keyDlg.shownOnce')}</p>
      <div class="stack">
        ${this.created.map(
          (k) => html`<div>
            <div class="small muted">${k.name}</div>
            <div class="keybox"><code data-testid="new-key-value">${k.apiKey}</code><crs-copy-button .value=${k.apiKey}></crs-copy-button></div>
          </div>`,
        )}
      </div>
      ${
        this.created.length > 1
          ? html`<button slot="footer" class="btn" @click=${() => saveBlob(new Blob([`${text}\n`], { type: 'text/plain' }), 'api-keys.txt')}>
              ${t('keyDlg.downloadKeys')}
            </button>`
          : ''
      }
      <button slot="footer" class="btn primary" data-close>${t('keyDlg.savedIt')}</button>
    </crs-dialog>`
  }

  override render() {
    if (this.mode === 'created') return this.createdView()
    const v = this.values
    const heading =
      this.mode === 'edit'
        ? t('keyDlg.editTitle', { name: this.key_?.name ?? '' })
        : this.mode === 'batch-create'
          ? t('keyDlg.batchTitle')
          : this.mode === 'batch-edit'
            ? t('keyDlg.batchEditTitle', { n: this.keyIds.length })
            : t('keyDlg.createTitle')
    return html`<crs-dialog
      open
      wide
      .heading=${heading}
      .error=${this.serverError}
      .dirty=${this.touched.length > 0}
      @crs-close=${() => this.emit('crs-close')}
    >
      <form id="key-form" novalidate @submit=${this.submit}>
        ${this.mode === 'batch-edit' ? html`<p class="callout">${t('keyDlg.batchEditHint')}</p>` : ''}
        <fieldset>
          <legend>${t('keyDlg.basics')}</legend>
          <div class="form-grid">
            ${
              this.mode === 'batch-create'
                ? html`${this.text('baseName', 'keyDlg.baseName')}${this.text('count', 'keyDlg.count', { type: 'number' })}`
                : this.mode === 'batch-edit'
                  ? ''
                  : this.text('name', 'common.name')
            }
            ${this.mode === 'batch-edit' ? '' : this.text('description', 'common.description')}
            ${this.text('tags', 'keyDlg.tags')}
            ${this.tagSuggestions()}
            ${
              this.mode === 'batch-edit'
                ? this.select('tagOperation', 'keyDlg.tagOp', [
                    ['add', t('keyDlg.tagOp.add')],
                    ['remove', t('keyDlg.tagOp.remove')],
                    ['set', t('keyDlg.tagOp.set')],
                  ])
                : ''
            }
            ${this.select('permissions', 'keyDlg.permissions', [
              ['all', t('keyDlg.perm.all')],
              ['claude', t('keyDlg.perm.claude')],
              ['openai', t('keyDlg.perm.openai')],
              ['gemini', t('keyDlg.perm.gemini')],
              ['droid', t('keyDlg.perm.droid')],
            ])}
            ${this.select('expirationMode', 'keyDlg.expiry', [
              ['fixed', t('keyDlg.expiry.fixed')],
              ['activation', t('keyDlg.expiry.activation')],
            ])}
            ${
              v.expirationMode === 'activation'
                ? html`${this.text('activationDays', 'keyDlg.activationDays', { type: 'number' })}
                  ${this.select('activationUnit', 'keyDlg.unit.days', [
                    ['days', t('keyDlg.unit.days')],
                    ['hours', t('keyDlg.unit.hours')],
                  ])}`
                : this.expiryFields()
            }
          </div>
          <div class="checks" style="margin-top:12px">${this.check('isActive', 'keyDlg.active')}</div>
        </fieldset>
        <fieldset>
          <legend>${t('keyDlg.limits')}</legend>
          <div class="form-grid">${NUMBER_FIELDS.map((f) => this.num(f))}</div>
        </fieldset>
        <fieldset>
          <legend>${t('keyDlg.binding')}</legend>
          <div class="form-grid">
            ${BINDING_SLOTS.map((slot) =>
              this.select(slot.field, slot.label, bindingChoices(slot, this.accounts, this.groups)),
            )}
          </div>
          ${this.bindingNote()}
        </fieldset>
        <fieldset>
          <legend>${t('keyDlg.restrictions')}</legend>
          <div class="stack">
            ${this.check('enableModelRestriction', 'keyDlg.modelRestriction')}
            ${
              v.enableModelRestriction
                ? html`<div class="form-grid">
                    ${this.select('modelRestrictionMode', 'keyDlg.modelMode', [
                      ['deny', t('keyDlg.modelMode.deny')],
                      ['allow', t('keyDlg.modelMode.allow')],
                    ])}
                    <label class="field"
                      ><span>${t('keyDlg.models')}</span
                      ><textarea
                        name="restrictedModels"
                        rows="3"
                        .value=${String(v.restrictedModels)}
                        @input=${(e: Event) => this.set('restrictedModels', (e.target as HTMLTextAreaElement).value)}
                      ></textarea></label>
                  </div>`
                : ''
            }
            ${this.check('enableClientRestriction', 'keyDlg.clientRestriction')}
            ${
              v.enableClientRestriction
                ? html`<div class="checks">
                    ${this.clients.map(
                      (c) => html`<label class="check" title=${c.description}
                        ><input
                          type="checkbox"
                          .checked=${(v.allowedClients as string[]).includes(c.id)}
                          @change=${(e: Event) => {
                            const on = (e.target as HTMLInputElement).checked
                            const cur = new Set(v.allowedClients as string[])
                            if (on) cur.add(c.id)
                            else cur.delete(c.id)
                            this.set('allowedClients', [...cur])
                          }}
                        />${c.name}</label
                      >`,
                    )}
                  </div>`
                : ''
            }
          </div>
        </fieldset>
      </form>
      <button slot="footer" class="btn" data-close>${t('common.cancel')}</button>
      <button slot="footer" class="btn primary" type="submit" form="key-form" data-testid="save-key" ?disabled=${this.busy}>
        ${this.busy ? html`<span class="spinner"></span>` : ''}${this.mode === 'edit' || this.mode === 'batch-edit' ? t('common.save') : t('common.create')}
      </button>
    </crs-dialog>`
  }
}

customElements.define('crs-key-dialog', CrsKeyDialog)
declare global {
  interface HTMLElementTagNameMap {
    'crs-key-dialog': CrsKeyDialog
  }
}
