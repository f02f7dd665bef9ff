/**
 * @module
 * Fields shared by the account dialog and the OAuth wizard: the outbound proxy (values, checks,
 * the fieldset) and the names the server uses for them.
 */
import { html, type TemplateResult } from 'lit'
import { t } from '../i18n/i18n.ts'
import { inputField, selectField } from './form.ts'

type Values = Record<string, string>

/** Server field names of the proxy → the form's. */
export const PROXY_ALIASES: Record<string, string> = {
  proxy: 'proxyHost',
  'proxy.host': 'proxyHost',
  'proxy.port': 'proxyPort',
  'proxy.type': 'proxyType',
  groupIds: 'groupId',
}

/** The proxy of the form's values; null when no proxy is set. */
export function proxyFrom(v: Values): Record<string, unknown> | null {
  if (!v.proxyType) return null
  const p: Record<string, unknown> = {
    type: v.proxyType,
    host: v.proxyHost?.trim(),
    port: Number(v.proxyPort),
  }
  if (v.proxyUser) p.username = v.proxyUser
  if (v.proxyPass) p.password = v.proxyPass
  return p
}

/** Validation errors of the proxy fields. */
export function proxyErrors(v: Values): Record<string, string> {
  const e: Record<string, string> = {}
  if (!v.proxyType) return e
  if (!v.proxyHost?.trim()) e.proxyHost = t('common.required')
  const port = Number(v.proxyPort)
  if (!Number.isInteger(port) || port < 1 || port > 65535) e.proxyPort = t('acc.invalidPort')
  return e
}

/** The proxy fieldset: type, then host, port, user and password once a type is chosen. */
export function proxyFieldset(
  v: Values,
  errors: Record<string, string>,
  set: (name: string, value: string) => void,
): TemplateResult {
  const text = (name: string, label: string, type = 'text', auto = 'off') =>
    inputField({
      name,
      label,
      value: v[name] ?? '',
      error: errors[name],
      type,
      autocomplete: auto,
      onInput: (x) => set(name, x),
    })
  return html`<fieldset>
    <legend>${t('acc.col.proxy')}</legend>
    <div class="form-grid">
      ${selectField({
        name: 'proxyType',
        label: t('acc.proxyType'),
        value: v.proxyType ?? '',
        options: [
          ['', t('acc.noProxy')],
          ['http', 'HTTP'],
          ['https', 'HTTPS'],
          ['socks5', 'SOCKS5'],
        ],
        onChange: (x) => set('proxyType', x),
      })}
      ${
        v.proxyType
          ? html`${text('proxyHost', t('acc.proxyHost'))}${text('proxyPort', t('acc.proxyPort'), 'number')}${text('proxyUser', t('acc.proxyUser'))}${text('proxyPass', t('acc.proxyPass'), 'password', 'new-password')}`
          : ''
      }
    </div>
  </fieldset>`
}
