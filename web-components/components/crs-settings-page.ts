import { css, html } from 'lit'
import { api } from '../api/client.ts'
import type { HistoryConfig, WebhookConfig, WebhookPlatform } from '../api/types.ts'
import { type MessageKey, t } from '../i18n/i18n.ts'
import { confirmAction } from '../lib/confirm.ts'
import { CrsElement } from '../lib/crs-element.ts'
import { icon } from '../lib/icons.ts'
import { navigate } from '../lib/route.ts'
import { errorBlock, loadingBlock } from '../lib/states.ts'
import { toast, toastError } from '../lib/toast.ts'
import { sharedStyles } from '../styles/shared-styles.ts'
import type { Column } from './crs-data-table.ts'
import './crs-data-table.ts'
import './crs-oem-card.ts'

const PLATFORM_TYPES = [
  'custom',
  'slack',
  'discord',
  'telegram',
  'feishu',
  'dingtalk',
  'wecom',
  'bark',
  'smtp',
]

/**
 * @summary Admin password, request-history capture and retention, and webhook notifications.
 */
export class CrsSettingsPage extends CrsElement {
  static override properties = {
    hist: { state: true },
    histError: { state: true },
    wh: { state: true },
    whError: { state: true },
    pwErrors: { state: true },
    histErrors: { state: true },
    platform: { state: true },
    platformErrors: { state: true },
    busy: { state: true },
  }
  static override styles = [
    sharedStyles,
    css`
      :host {
        display: grid;
        gap: 16px;
        grid-template-columns: repeat(auto-fit, minmax(min(100%, 460px), 1fr));
        align-items: start;
      }
      .full {
        grid-column: 1 / -1;
      }
      h1 {
        grid-column: 1 / -1;
      }
      form {
        display: flex;
        flex-direction: column;
        gap: 12px;
      }
      .checks {
        display: flex;
        flex-wrap: wrap;
        gap: 10px 18px;
      }
    `,
  ]
  declare hist: HistoryConfig | null
  declare histError: unknown
  declare wh: WebhookConfig | null
  declare whError: unknown
  declare pwErrors: Record<string, string>
  declare histErrors: Record<string, string>
  declare platform: Record<string, string>
  declare platformErrors: Record<string, string>
  declare busy: string

  constructor() {
    super()
    this.hist = null
    this.histError = null
    this.wh = null
    this.whError = null
    this.pwErrors = {}
    this.histErrors = {}
    this.platform = { type: 'custom', name: '', url: '', secret: '', botToken: '', chatId: '' }
    this.platformErrors = {}
    this.busy = ''
  }

  override connectedCallback(): void {
    super.connectedCallback()
    void this.loadHist()
    void this.loadWh()
  }

  private async loadHist() {
    try {
      this.hist = await api.historyConfig()
      this.histError = null
    } catch (err) {
      this.histError = err
    }
  }

  private async loadWh() {
    try {
      this.wh = await api.webhookConfig()
      this.whError = null
    } catch (err) {
      this.whError = err
    }
  }

  private async changePassword(e: SubmitEvent) {
    e.preventDefault()
    const fd = new FormData(e.target as HTMLFormElement)
    const cur = String(fd.get('current') ?? '')
    const next = String(fd.get('next') ?? '')
    const again = String(fd.get('again') ?? '')
    const user = String(fd.get('user') ?? '').trim()
    const errs: Record<string, string> = {}
    if (!cur) errs.current = t('common.required')
    if (next.length < 8) errs.next = t('set.passwordShort')
    if (next !== again) errs.again = t('set.passwordMismatch')
    this.pwErrors = errs
    if (Object.keys(errs).length) return
    this.busy = 'pw'
    try {
      await api.changePassword({
        currentPassword: cur,
        newPassword: next,
        ...(user ? { newUsername: user } : {}),
      })
      toast(t('set.passwordChanged'), 'success')
      await api.logout().catch(() => undefined)
      navigate('login')
    } catch (err) {
      toastError(err)
    } finally {
      this.busy = ''
    }
  }

  private async saveHist(e: SubmitEvent) {
    e.preventDefault()
    const fd = new FormData(e.target as HTMLFormElement)
    const num = (k: string) => Number(fd.get(k))
    const errs: Record<string, string> = {}
    for (const k of ['maxRequestBodySize', 'maxResponseBodySize', 'retentionDays', 'maxTotalMb'])
      if (
        !Number.isFinite(num(k)) ||
        num(k) < (k === 'retentionDays' ? 1 : 0) ||
        String(fd.get(k)).trim() === ''
      )
        errs[k] = t('common.invalidNumber')
    this.histErrors = errs
    if (Object.keys(errs).length) return
    this.busy = 'hist'
    try {
      this.hist = await api.updateHistoryConfig({
        enabled: fd.get('enabled') === 'on',
        captureBodies: fd.get('captureBodies') === 'on',
        maxRequestBodySize: num('maxRequestBodySize'),
        maxResponseBodySize: num('maxResponseBodySize'),
        retentionDays: num('retentionDays'),
        maxTotalBytes: Math.round(num('maxTotalMb') * 1024 * 1024),
      })
      toast(t('common.saved'), 'success')
    } catch (err) {
      toastError(err)
    } finally {
      this.busy = ''
    }
  }

  private async saveWh(e: SubmitEvent) {
    e.preventDefault()
    if (!this.wh) return
    const fd = new FormData(e.target as HTMLFormElement)
    const events: Record<string, boolean> = {}
    for (const k of Object.keys(this.wh.events)) events[k] = fd.get(`ev-${k}`) === 'on'
    const notificationTypes: Record<string, boolean> = {}
    for (const k of Object.keys(this.wh.notificationTypes))
      notificationTypes[k] = fd.get(`nt-${k}`) === 'on'
    const retry = {
      maxRetries: Number(fd.get('maxRetries')),
      retryDelayMs: Number(fd.get('retryDelayMs')),
      timeoutMs: Number(fd.get('timeoutMs')),
    }
    if (Object.values(retry).some((n) => !Number.isInteger(n) || n < 0)) {
      toast(t('common.invalidNumber'), 'error')
      return
    }
    this.busy = 'wh'
    try {
      this.wh = await api.updateWebhookConfig({
        enabled: fd.get('enabled') === 'on',
        events,
        notificationTypes,
        retry,
      })
      toast(t('common.saved'), 'success')
    } catch (err) {
      toastError(err)
    } finally {
      this.busy = ''
    }
  }

  private platformBody(): Record<string, unknown> | null {
    const p = this.platform
    const errs: Record<string, string> = {}
    if (p.type === 'telegram') {
      if (!p.botToken?.trim()) errs.botToken = t('common.required')
      if (!p.chatId?.trim()) errs.chatId = t('common.required')
    } else if (
      !(p.type === 'smtp' ? /^smtps?:\/\/\S+$/ : /^https?:\/\/\S+$/).test(p.url?.trim() ?? '')
    )
      errs.url = t('acc.invalidUrl')
    this.platformErrors = errs
    if (Object.keys(errs).length) return null
    const body: Record<string, unknown> = { type: p.type, name: p.name?.trim() || p.type }
    if (p.type === 'telegram') {
      body.botToken = p.botToken!.trim()
      body.chatId = p.chatId!.trim()
    } else body.url = p.url!.trim()
    if (p.secret?.trim()) body.secret = p.secret.trim()
    if (p.type === 'bark')
      for (const f of ['sound', 'level', 'group'] as const) if (p[f]?.trim()) body[f] = p[f].trim()
    return body
  }

  private async addPlatform(e: Event) {
    e.preventDefault()
    const body = this.platformBody()
    if (!body) return
    try {
      await api.addWebhookPlatform(body)
      this.platform = { type: 'custom', name: '', url: '', secret: '', botToken: '', chatId: '' }
      await this.loadWh()
    } catch (err) {
      toastError(err)
    }
  }

  private async testPlatform(body: Record<string, unknown>) {
    try {
      const r = await api.testWebhook(body)
      toast(r.success ? t('set.testOk') : t('set.testFailed'), r.success ? 'success' : 'error')
    } catch (err) {
      toastError(err)
    }
  }

  private pfField(name: string, label: MessageKey, type = 'text') {
    const err = this.platformErrors[name]
    return html`<label class="field"><span>${t(label)}</span>
      <input name=${name} type=${type} autocomplete="off" .value=${this.platform[name] ?? ''} aria-invalid=${err ? 'true' : 'false'}
        @input=${(e: Event) => {
          this.platform = { ...this.platform, [name]: (e.target as HTMLInputElement).value }
        }} />
      ${err ? html`<span class="field-error">${err}</span>` : ''}</label>`
  }

  private numField(name: string, label: MessageKey, value: number, errs: Record<string, string>) {
    const err = errs[name]
    return html`<label class="field"><span>${t(label)}</span><input name=${name} type="number" min="0" .value=${String(value)} aria-invalid=${err ? 'true' : 'false'} />
      ${err ? html`<span class="field-error">${err}</span>` : ''}</label>`
  }

  private passwordCard() {
    const e = this.pwErrors
    const f = (
      name: string,
      label: MessageKey,
      auto: string,
      type = 'password',
    ) => html`<label class="field"><span>${t(label)}</span>
      <input name=${name} type=${type} autocomplete=${auto} aria-invalid=${e[name] ? 'true' : 'false'} />
      ${e[name] ? html`<span class="field-error">${e[name]}</span>` : ''}</label>`
    return html`<section class="card" aria-labelledby="pw-h">
      <h2 id="pw-h">${t('set.password')}</h2>
      <form novalidate @submit=${this.changePassword}>
        <input type="text" name="username-hint" autocomplete="username" hidden />
        ${f('current', 'set.currentPassword', 'current-password')}
        ${f('next', 'set.newPassword', 'new-password')}
        ${f('again', 'set.repeatPassword', 'new-password')}
        ${f('user', 'set.newUsername', 'off', 'text')}
        <div><button class="btn primary" type="submit" ?disabled=${this.busy === 'pw'}>${t('set.changePassword')}</button></div>
      </form>
    </section>`
  }

  private histCard() {
    const h = this.hist
    return html`<section class="card" aria-labelledby="hist-h">
      <h2 id="hist-h">${t('set.history')}</h2>
      ${
        !h
          ? this.histError
            ? errorBlock(this.histError, () => this.loadHist())
            : loadingBlock()
          : html`<form novalidate @submit=${this.saveHist} data-testid="history-settings">
              <label class="check"><input type="checkbox" name="enabled" .checked=${h.enabled} />${t('set.histEnabled')}</label>
              <label class="check"><input type="checkbox" name="captureBodies" .checked=${h.captureBodies} />${t('set.captureBodies')}</label>
              <div class="form-grid">
                ${this.numField('maxRequestBodySize', 'set.maxReq', h.maxRequestBodySize, this.histErrors)}
                ${this.numField('maxResponseBodySize', 'set.maxRes', h.maxResponseBodySize, this.histErrors)}
                ${this.numField('retentionDays', 'set.retention', h.retentionDays, this.histErrors)}
                ${this.numField('maxTotalMb', 'set.maxTotal', Math.round(h.maxTotalBytes / 1024 / 1024), this.histErrors)}
              </div>
              <div><button class="btn primary" type="submit" ?disabled=${this.busy === 'hist'}>${t('common.save')}</button></div>
            </form>`
      }
    </section>`
  }

  private whCard() {
    const w = this.wh
    if (!w)
      return html`<section class="card full"><h2>${t('set.webhooks')}</h2>${this.whError ? errorBlock(this.whError, () => this.loadWh()) : loadingBlock()}</section>`
    const cols: Column<WebhookPlatform>[] = [
      {
        key: 'name',
        label: t('common.name'),
        render: (p) => html`<b>${p.name}</b> <span class="badge">${p.type}</span>`,
      },
      {
        key: 'url',
        label: t('set.platformUrl'),
        wide: true,
        render: (p) => html`<span class="mono small">${p.url || p.chatId || ''}</span>`,
      },
      {
        key: 'enabled',
        label: t('common.status'),
        render: (p) =>
          html`<span class="badge ${p.enabled ? 'ok' : ''}">${p.enabled ? t('common.enabled') : t('common.disabled')}</span>`,
      },
      {
        key: 'actions',
        label: t('common.actions'),
        render: (p) => html`<div class="row">
          <button class="btn small" @click=${() => this.testPlatform({ platformId: p.id })}>${t('set.test')}</button>
          <button class="btn small" @click=${async () => {
            try {
              await api.toggleWebhookPlatform(p.id)
              await this.loadWh()
            } catch (err) {
              toastError(err)
            }
          }}>${p.enabled ? t('keys.disable') : t('keys.enable')}</button>
          <button class="btn small danger" aria-label="${t('common.delete')} ${p.name}" @click=${async () => {
            if (
              !(await confirmAction({
                message: t('set.platformDeleteConfirm', { name: p.name }),
                danger: true,
                confirmLabel: t('common.delete'),
              }))
            )
              return
            try {
              await api.deleteWebhookPlatform(p.id)
              await this.loadWh()
            } catch (err) {
              toastError(err)
            }
          }}>${icon('trash')}</button>
        </div>`,
      },
    ]
    const tg = this.platform.type === 'telegram'
    return html`<section class="card full" aria-labelledby="wh-h">
      <h2 id="wh-h">${t('set.webhooks')}</h2>
      <form novalidate @submit=${this.saveWh}>
        <label class="check"><input type="checkbox" name="enabled" .checked=${w.enabled} />${t('set.whEnabled')}</label>
        <fieldset data-testid="notification-types"><legend>${t('set.whTypes')}</legend>
          <div class="checks">${Object.entries(w.notificationTypes).map(([k, on]) => html`<label class="check"><input type="checkbox" name="nt-${k}" .checked=${on} /><span class="mono">${k}</span></label>`)}</div>
        </fieldset>
        <fieldset><legend>${t('set.whEvents')}</legend>
          <div class="checks">${Object.entries(w.events).map(([k, on]) => html`<label class="check"><input type="checkbox" name="ev-${k}" .checked=${on} /><span class="mono">${k}</span></label>`)}</div>
        </fieldset>
        <div class="form-grid">
          ${this.numField('maxRetries', 'set.whRetries', w.retry.maxRetries, {})}
          ${this.numField('retryDelayMs', 'set.whDelay', w.retry.retryDelayMs, {})}
          ${this.numField('timeoutMs', 'set.whTimeout', w.retry.timeoutMs, {})}
        </div>
        <div><button class="btn primary" type="submit" ?disabled=${this.busy === 'wh'}>${t('common.save')}</button></div>
      </form>
      <h3 style="margin:16px 0 8px">${t('set.platforms')}</h3>
      <crs-data-table .columns=${cols} .rows=${w.platforms} .emptyText=${t('set.noPlatforms')}></crs-data-table>
      <form novalidate @submit=${this.addPlatform} style="margin-top:12px">
        <fieldset><legend>${t('set.addPlatform')}</legend>
          <div class="form-grid">
            <label class="field"><span>${t('set.platformType')}</span>
              <select @change=${(e: Event) => {
                this.platform = { ...this.platform, type: (e.target as HTMLSelectElement).value }
              }}>
                ${PLATFORM_TYPES.map((p) => html`<option value=${p} ?selected=${this.platform.type === p}>${p}</option>`)}
              </select></label>
            ${this.pfField('name', 'common.name')}
            ${tg ? html`${this.pfField('botToken', 'set.botToken', 'password')}${this.pfField('chatId', 'set.chatId')}` : this.pfField('url', 'set.platformUrl', 'url')}
            ${
              this.platform.type === 'bark'
                ? html`${this.pfField('sound', 'set.barkSound')}${this.pfField('level', 'set.barkLevel')}${this.pfField('group', 'set.barkGroup')}`
                : this.pfField('secret', 'set.platformSecret', 'password')
            }
          </div>
          <div class="row" style="margin-top:12px">
            <button class="btn primary" type="submit">${icon('plus')}${t('set.addPlatform')}</button>
            <button class="btn" type="button" @click=${() => {
              const b = this.platformBody()
              if (b) void this.testPlatform(b)
            }}>${t('set.test')}</button>
          </div>
        </fieldset>
      </form>
    </section>`
  }

  override render() {
    return html`<h1>${t('set.title')}</h1>${this.passwordCard()}<crs-oem-card></crs-oem-card>${this.histCard()}${this.whCard()}`
  }
}

customElements.define('crs-settings-page', CrsSettingsPage)
declare global {
  interface HTMLElementTagNameMap {
    'crs-settings-page': CrsSettingsPage
  }
}
