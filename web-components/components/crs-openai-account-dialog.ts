import { html } from 'lit'
import { api } from '../api/client.ts'
import type { AccountGroup, OpenAIPlatform } from '../api/types.ts'
import { type MessageKey, t } from '../i18n/i18n.ts'
import { CrsElement } from '../lib/crs-element.ts'
import { inputField } from '../lib/form.ts'
import { errorText, toast } from '../lib/toast.ts'
import { sharedStyles } from '../styles/shared-styles.ts'
import './crs-dialog.ts'

/** The fields each OpenAI account kind asks for (body name, label, input type). */
const FIELDS: Record<OpenAIPlatform, [string, MessageKey, string][]> = {
  openai: [['baseUrl', 'oa.baseUrl', 'url']],
  'openai-responses': [
    ['baseApi', 'oa.baseApi', 'url'],
    ['apiKey', 'acc.apiKey', 'password'],
    ['userAgent', 'oa.userAgent', 'text'],
  ],
  'azure-openai': [
    ['azureEndpoint', 'oa.azureEndpoint', 'url'],
    ['apiKey', 'acc.apiKey', 'password'],
    ['apiVersion', 'oa.apiVersion', 'text'],
    ['deploymentName', 'oa.deployment', 'text'],
  ],
}

/**
 * @summary Adds an OpenAI-family account: a ChatGPT login through OAuth (generate the URL, sign
 * in, paste the callback URL back), an OpenAI-Responses account (base URL, key) or an Azure
 * OpenAI account (endpoint, key, API version, deployment), with priority, scheduling and group.
 * @event crs-saved - After the account was created.
 * @event crs-close - The dialog was closed.
 */
export class CrsOpenAIAccountDialog extends CrsElement {
  static override properties = {
    kind: { attribute: false },
    groups: { attribute: false },
    values: { state: true },
    auth: { state: true },
    busy: { state: true },
    serverError: { state: true },
  }
  static override styles = [sharedStyles]
  declare kind: OpenAIPlatform
  declare groups: AccountGroup[]
  declare values: Record<string, string>
  declare auth: { authUrl: string; sessionId: string } | null
  declare busy: boolean
  declare serverError: string

  constructor() {
    super()
    this.kind = 'openai-responses'
    this.groups = []
    this.values = { priority: '50', accountType: 'shared' }
    this.auth = null
    this.busy = false
    this.serverError = ''
  }

  private set(name: string, value: string) {
    this.values = { ...this.values, [name]: value }
  }

  private field(name: string, label: MessageKey, type = 'text') {
    return inputField({
      name,
      label: t(label),
      type,
      value: this.values[name] ?? '',
      autocomplete: type === 'password' ? 'new-password' : 'off',
      onInput: (v) => this.set(name, v),
    })
  }

  private async generate() {
    this.busy = true
    try {
      this.auth = await api.openai.authUrl()
      this.serverError = ''
    } catch (err) {
      this.serverError = errorText(err)
    } finally {
      this.busy = false
    }
  }

  private body(): Record<string, unknown> {
    const v = this.values
    const out: Record<string, unknown> = {
      name: v.name ?? '',
      description: v.description ?? '',
      priority: Number(v.priority || 50),
      accountType: v.accountType || 'shared',
    }
    if (v.groupId) out.groupId = v.groupId
    for (const [name] of FIELDS[this.kind]) if (v[name]) out[name] = v[name]
    return out
  }

  private async submit(e: Event) {
    e.preventDefault()
    this.busy = true
    try {
      if (this.kind === 'openai') {
        if (!this.auth) throw new Error(t('oa.generateFirst'))
        await api.openai.exchange({
          ...this.body(),
          sessionId: this.auth.sessionId,
          callbackUrl: this.values.callback ?? '',
          createAccount: true,
        })
      } else await api.openai.create(this.kind, this.body())
      toast(t('common.saved'), 'success')
      this.emit('crs-saved')
      this.emit('crs-close')
    } catch (err) {
      this.serverError = errorText(err)
    } finally {
      this.busy = false
    }
  }

  override render() {
    const oauth = this.kind === 'openai'
    return html`<crs-dialog
      open
      wide
      .heading=${t(`oa.add.${this.kind}` as MessageKey)}
      .error=${this.serverError}
      @crs-close=${() => this.emit('crs-close')}
    >
      <form id="oa-form" class="stack" novalidate @submit=${this.submit}>
        <div class="form-grid">
          ${this.field('name', 'common.name')} ${this.field('description', 'common.description')}
          ${FIELDS[this.kind].map(([n, l, type]) => this.field(n, l, type))}
          ${this.field('priority', 'acc.col.priority', 'number')}
          <label class="field"
            ><span>${t('acc.accountType')}</span>
            <select name="accountType" @change=${(e: Event) => this.set('accountType', (e.target as HTMLSelectElement).value)}>
              <option value="shared">${t('acc.type.shared')}</option>
              <option value="dedicated">${t('acc.type.dedicated')}</option>
              <option value="group">${t('acc.type.group')}</option>
            </select></label
          >
          <label class="field"
            ><span>${t('acc.filter.group')}</span>
            <select name="groupId" @change=${(e: Event) => this.set('groupId', (e.target as HTMLSelectElement).value)}>
              <option value="">${t('common.none')}</option>
              ${this.groups.map((g) => html`<option value=${g.id}>${g.name}</option>`)}
            </select></label
          >
        </div>
        ${
          oauth
            ? html`<div class="stack">
                <p class="muted small">${t('oa.oauthSteps')}</p>
                <div class="row">
                  <button type="button" class="btn" data-testid="oa-generate" ?disabled=${this.busy} @click=${() => this.generate()}>
                    ${t('oa.generate')}
                  </button>
                  ${this.auth ? html`<a class="mono small" href=${this.auth.authUrl} target="_blank" rel="noopener noreferrer" data-testid="oa-auth-url">${t('oa.openUrl')}</a>` : ''}
                </div>
                ${this.auth ? this.field('callback', 'oa.callback') : ''}
              </div>`
            : ''
        }
      </form>
      <button slot="footer" class="btn" data-close>${t('common.cancel')}</button>
      <button slot="footer" class="btn primary" type="submit" form="oa-form" data-testid="oa-save" ?disabled=${this.busy}>${t('common.save')}</button>
    </crs-dialog>`
  }
}

customElements.define('crs-openai-account-dialog', CrsOpenAIAccountDialog)
declare global {
  interface HTMLElementTagNameMap {
    'crs-openai-account-dialog': CrsOpenAIAccountDialog
  }
}
