import { html } from 'lit'
import { api } from '../api/client.ts'
import type { Account, AccountGroup, Platform } from '../api/types.ts'
import { type MessageKey, t } from '../i18n/i18n.ts'
import { PROXY_ALIASES, proxyErrors, proxyFieldset, proxyFrom } from '../lib/account-form.ts'
import { CrsElement } from '../lib/crs-element.ts'
import { focusInvalid, inputField, selectField, serverFieldError } from '../lib/form.ts'
import { errorText, toast } from '../lib/toast.ts'
import { sharedStyles } from '../styles/shared-styles.ts'
import './crs-dialog.ts'

type Values = Record<string, string>

/** The kinds this dialog creates and edits. */
export type OtherPlatform = 'bedrock' | 'ccr' | 'droid'

/** `requested=upstream` lines of an account's model mapping. */
function mappingText(a: Account | null): string {
  const sm = a?.supportedModels
  if (!sm || typeof sm !== 'object' || Array.isArray(sm)) return ''
  return Object.entries(sm as Record<string, string>)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n')
}

function optionOf(a: Account | null, name: string): string {
  const v = (a?.options as Record<string, unknown> | undefined)?.[name]
  return typeof v === 'string' ? v : ''
}

/**
 * @summary Creates or edits a Bedrock, CCR or Droid account: its own fields (AWS region,
 * endpoint, credentials or a Bedrock API key, inference profile and default model; a CCR base URL
 * and key; Droid's Factory API keys and endpoint type), the model mapping, and the fields every
 * account has (priority, scheduling, group, proxy). Secrets are never shown: empty keeps them.
 * @event crs-saved - After a save.
 * @event crs-close - The dialog was closed.
 */
export class CrsPlatformAccountDialog extends CrsElement {
  static override properties = {
    platform: { attribute: false },
    account: { attribute: false },
    groups: { attribute: false },
    values: { state: true },
    errors: { state: true },
    serverError: { state: true },
    busy: { state: true },
    dirty: { state: true },
    device: { state: true },
  }
  static override styles = [sharedStyles]
  declare platform: OtherPlatform
  declare account: Account | null
  declare groups: AccountGroup[]
  declare values: Values
  declare errors: Record<string, string>
  declare serverError: string
  declare busy: boolean
  declare dirty: boolean
  /** A Factory sign-in in progress (Droid), or its tokens once approved. */
  declare device: {
    sessionId: string
    userCode: string
    url: string
    tokens?: Record<string, unknown>
  } | null

  constructor() {
    super()
    this.platform = 'bedrock'
    this.account = null
    this.groups = []
    this.values = {}
    this.errors = {}
    this.serverError = ''
    this.busy = false
    this.dirty = false
    this.device = null
  }

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('account') || changed.has('platform')) {
      const a = this.account
      if (a) this.platform = a.platform as OtherPlatform
      this.values = {
        name: a?.name ?? '',
        description: a?.description ?? '',
        priority: String(a?.priority ?? 50),
        accountType: a?.accountType ?? 'shared',
        groupId: a?.groupIds[0] ?? '',
        apiUrl: a?.apiUrl ?? '',
        apiKey: '',
        region: optionOf(a, 'region') || 'us-east-1',
        defaultModel: optionOf(a, 'defaultModel'),
        inferenceProfile: optionOf(a, 'inferenceProfile') || 'regional',
        auth: a && !a.hasAwsCredentials && a.hasApiKey ? 'apiKey' : 'aws',
        accessKeyId: '',
        secretAccessKey: '',
        sessionToken: '',
        apiKeys: '',
        endpointType: optionOf(a, 'endpointType') || 'anthropic',
        mapping: mappingText(a),
        proxyType: a?.proxy?.type ?? '',
        proxyHost: a?.proxy?.host ?? '',
        proxyPort: a?.proxy ? String(a.proxy.port) : '',
        proxyUser: a?.proxy?.username ?? '',
        proxyPass: '',
      }
      this.dirty = false
    }
  }

  private set(name: string, value: string) {
    this.values = { ...this.values, [name]: value }
    this.dirty = true
    if (this.errors[name]) {
      const { [name]: _drop, ...rest } = this.errors
      this.errors = rest
    }
  }

  /** The model mapping lines as `{requested: upstream}`, or null when a line is not `a=b`. */
  private mapping(): Record<string, string> | null {
    const out: Record<string, string> = {}
    for (const line of (this.values.mapping ?? '').split('\n')) {
      if (!line.trim()) continue
      const [from, to] = line.split('=').map((s) => s.trim())
      if (!from || !to) return null
      out[from] = to
    }
    return out
  }

  private validate(): boolean {
    const v = this.values
    const creating = !this.account
    const e: Record<string, string> = { ...proxyErrors(v) }
    const req = t('common.required')
    if (!v.name?.trim()) e.name = req
    const pr = Number(v.priority)
    if (!Number.isInteger(pr) || pr < 1 || pr > 100) e.priority = t('acc.invalidPriority')
    const url = v.apiUrl?.trim() ?? ''
    if ((this.platform === 'ccr' || url) && !/^https?:\/\/\S+$/.test(url))
      e.apiUrl = t('acc.invalidUrl')
    if (this.platform === 'bedrock') {
      if (!/^[a-z0-9-]+$/.test(v.region ?? '')) e.region = req
      if (creating && v.auth === 'aws') {
        if (!v.accessKeyId?.trim()) e.accessKeyId = req
        if (!v.secretAccessKey?.trim()) e.secretAccessKey = req
      }
      if (creating && v.auth === 'apiKey' && !v.apiKey?.trim()) e.apiKey = req
    }
    if (this.platform === 'ccr' && creating && !v.apiKey?.trim()) e.apiKey = req
    if (this.platform === 'droid' && creating && !v.apiKeys?.trim() && !this.device?.tokens)
      e.apiKeys = req
    if (!this.mapping()) e.mapping = t('plat.mappingInvalid')
    this.errors = e
    if (Object.keys(e).length) {
      focusInvalid(this.renderRoot, this.updateComplete)
      return false
    }
    return true
  }

  private body(): Record<string, unknown> {
    const v = this.values
    const body: Record<string, unknown> = {
      name: v.name!.trim(),
      description: v.description,
      priority: Number(v.priority),
      accountType: v.accountType,
      groupIds: v.groupId ? [v.groupId] : [],
      proxy: proxyFrom(v),
      supportedModels: this.mapping() ?? {},
    }
    const url = v.apiUrl?.trim() ?? ''
    if (this.platform === 'bedrock') {
      body.region = v.region
      body.endpoint = url
      body.defaultModel = v.defaultModel?.trim() ?? ''
      body.inferenceProfile = v.inferenceProfile
      if (v.auth === 'aws' && v.secretAccessKey?.trim())
        body.awsCredentials = {
          accessKeyId: v.accessKeyId?.trim(),
          secretAccessKey: v.secretAccessKey.trim(),
          ...(v.sessionToken?.trim() ? { sessionToken: v.sessionToken.trim() } : {}),
        }
      if (v.auth === 'apiKey' && v.apiKey?.trim()) body.apiKey = v.apiKey.trim()
    } else if (this.platform === 'ccr') {
      body.apiUrl = url
      if (v.apiKey?.trim()) body.apiKey = v.apiKey.trim()
    } else {
      body.apiUrl = url
      body.endpointType = v.endpointType
      if (v.apiKeys?.trim()) body.apiKeys = v.apiKeys.split('\n').map((s) => s.trim())
      const tokens = this.device?.tokens
      if (tokens) {
        body.accessToken = tokens.accessToken
        body.refreshToken = tokens.refreshToken ?? undefined
        body.organizationId = tokens.organizationId ?? undefined
      }
    }
    return body
  }

  /** Starts the Factory sign-in, or checks whether the admin approved it. */
  private async signIn() {
    this.serverError = ''
    try {
      if (!this.device) {
        const d = await api.droidDeviceStart()
        this.device = {
          sessionId: d.sessionId,
          userCode: d.userCode,
          url: d.verificationUriComplete,
        }
        return
      }
      const r = await api.droidDeviceExchange(this.device.sessionId)
      if (r.pending) toast(t('plat.signInPending'), 'info')
      else if (r.success && r.data) {
        this.device = { ...this.device, tokens: r.data }
        this.dirty = true
      }
    } catch (err) {
      this.device = null
      this.serverError = errorText(err)
    }
  }

  private signInBlock() {
    const d = this.device
    return html`<div class="stack" style="grid-column: 1 / -1" data-testid="droid-sign-in">
      ${
        d && !d.tokens
          ? html`<p class="hint" style="margin:0">${t('plat.signInSteps', { code: d.userCode })}
              <a href=${d.url} target="_blank" rel="noopener noreferrer">${d.url}</a></p>`
          : ''
      }
      ${d?.tokens ? html`<p class="hint" style="margin:0">${t('plat.signedIn')}</p>` : ''}
      ${
        d?.tokens
          ? ''
          : html`<button type="button" class="btn small" @click=${() => this.signIn()}>${t(d ? 'plat.signInCheck' : 'plat.signIn')}</button>`
      }
    </div>`
  }

  private async submit(e: Event) {
    e.preventDefault()
    if (!this.validate()) return
    this.busy = true
    this.serverError = ''
    const platform = this.platform as Platform
    try {
      if (this.account) await api.updateAccount(platform, this.account.id, this.body())
      else await api.createAccount(platform, this.body())
      toast(t('acc.saved'), 'success')
      this.emit('crs-saved')
      this.emit('crs-close')
    } catch (err) {
      const named = serverFieldError(err, Object.keys(this.values), {
        ...PROXY_ALIASES,
        supportedModels: 'mapping',
        endpoint: 'apiUrl',
        awsCredentials: 'secretAccessKey',
        'options.region': 'region',
      })
      if (named) {
        this.errors = { ...this.errors, [named.field]: named.message }
        focusInvalid(this.renderRoot, this.updateComplete)
      } else this.serverError = errorText(err)
    } finally {
      this.busy = false
    }
  }

  private field(name: string, label: MessageKey, type = 'text', hint = '', placeholder = '') {
    return inputField({
      name,
      label: t(label),
      value: this.values[name] ?? '',
      error: this.errors[name],
      type,
      autocomplete: type === 'password' ? 'new-password' : 'off',
      hint,
      placeholder,
      onInput: (v) => this.set(name, v),
    })
  }

  private select(name: string, label: MessageKey, options: [string, string][]) {
    return selectField({
      name,
      label: t(label),
      value: this.values[name] ?? '',
      options,
      error: this.errors[name],
      onChange: (v) => this.set(name, v),
    })
  }

  private ownFields() {
    const v = this.values
    if (this.platform === 'bedrock')
      return html`${this.field('region', 'plat.region', 'text', '', 'us-east-1')}
        ${this.field('apiUrl', 'plat.endpoint', 'url', t('plat.endpointHint'))}
        ${this.select('auth', 'plat.auth', [
          ['aws', t('plat.auth.aws')],
          ['apiKey', t('plat.auth.apiKey')],
        ])}
        ${
          v.auth === 'aws'
            ? html`${this.field('accessKeyId', 'plat.accessKeyId')}${this.field('secretAccessKey', this.account ? 'plat.secretAccessKeyKeep' : 'plat.secretAccessKey', 'password')}${this.field('sessionToken', 'plat.sessionToken', 'password')}`
            : this.field(
                'apiKey',
                this.account ? 'plat.bedrockApiKeyKeep' : 'plat.bedrockApiKey',
                'password',
              )
        }
        ${this.select('inferenceProfile', 'plat.inferenceProfile', [
          ['regional', t('plat.profile.regional')],
          ['global', t('plat.profile.global')],
          ['none', t('plat.profile.none')],
        ])}
        ${this.field('defaultModel', 'plat.defaultModel', 'text', t('plat.defaultModelHint'))}`
    if (this.platform === 'ccr')
      return html`${this.field('apiUrl', 'acc.apiUrl', 'url')}${this.field('apiKey', this.account ? 'acc.apiKeyKeep' : 'acc.apiKey', 'password')}`
    return html`${this.select('endpointType', 'plat.endpointType', [
      ['anthropic', 'Anthropic'],
      ['openai', 'OpenAI'],
      ['comm', t('plat.endpoint.comm')],
    ])}
      ${this.field('apiUrl', 'plat.factoryUrl', 'url', t('plat.factoryUrlHint'))}
      <label class="field" style="grid-column: 1 / -1"
        ><span>${t(this.account ? 'plat.factoryKeysReplace' : 'plat.factoryKeys')}</span
        ><textarea name="apiKeys" rows="3" autocomplete="off" .value=${v.apiKeys ?? ''}
          aria-invalid=${this.errors.apiKeys ? 'true' : 'false'}
          @input=${(e: Event) => this.set('apiKeys', (e.target as HTMLTextAreaElement).value)}></textarea>${
            this.errors.apiKeys ? html`<span class="field-error">${this.errors.apiKeys}</span>` : ''
          }</label
      >
      ${this.account ? '' : this.signInBlock()}`
  }

  override render() {
    const heading = this.account
      ? t('acc.editTitle', { name: this.account.name })
      : t('plat.newTitle', { kind: t(`acc.platform.${this.platform}` as MessageKey) })
    return html`<crs-dialog
      open
      wide
      .heading=${heading}
      .error=${this.serverError}
      .dirty=${this.dirty}
      @crs-close=${() => this.emit('crs-close')}
    >
      <form id="plat-form" class="stack" novalidate @submit=${this.submit}>
        <div class="form-grid">
          ${this.field('name', 'common.name')} ${this.field('description', 'common.description')}
          ${this.ownFields()}
          ${this.field('priority', 'acc.col.priority', 'number', t('acc.priorityHint'))}
          ${this.select('accountType', 'acc.accountType', [
            ['shared', t('acc.type.shared')],
            ['dedicated', t('acc.type.dedicated')],
            ['group', t('acc.type.group')],
          ])}
          ${this.select('groupId', 'acc.filter.group', [['', t('common.none')], ...this.groups.map((g): [string, string] => [g.id, g.name])])}
        </div>
        <label class="field"
          ><span>${t('plat.mapping')}</span
          ><textarea name="mapping" rows="3" placeholder="claude-sonnet-4-5=us.anthropic.claude-sonnet-4-5-20250929-v1:0" .value=${this.values.mapping ?? ''}
            aria-invalid=${this.errors.mapping ? 'true' : 'false'}
            @input=${(e: Event) => this.set('mapping', (e.target as HTMLTextAreaElement).value)}></textarea
          ><span class="hint">${t('plat.mappingHint')}</span>${
            this.errors.mapping ? html`<span class="field-error">${this.errors.mapping}</span>` : ''
          }</label
        >
        ${proxyFieldset(this.values, this.errors, (n, x) => this.set(n, x))}
      </form>
      <button slot="footer" class="btn" data-close>${t('common.cancel')}</button>
      <button slot="footer" class="btn primary" type="submit" form="plat-form" data-testid="save-platform-account" ?disabled=${this.busy}>${t('common.save')}</button>
    </crs-dialog>`
  }
}

customElements.define('crs-platform-account-dialog', CrsPlatformAccountDialog)
declare global {
  interface HTMLElementTagNameMap {
    'crs-platform-account-dialog': CrsPlatformAccountDialog
  }
}
