/**
 * @module
 * Loading, empty and error blocks shared by every page.
 */
import { html, type TemplateResult } from 'lit'
import { t } from '../i18n/i18n.ts'
import { icon } from './icons.ts'
import { errorText } from './toast.ts'

export const loadingBlock = (): TemplateResult =>
  html`<div class="state" role="status" aria-live="polite"><span class="spinner"></span>${t('common.loading')}</div>`

export const emptyBlock = (text: string): TemplateResult =>
  html`<div class="state empty">${text}</div>`

export const errorBlock = (err: unknown, retry?: () => void): TemplateResult =>
  html`<div class="state error" role="alert">
    ${icon('alert')}<span>${errorText(err)}</span>
    ${retry ? html`<button class="btn" @click=${retry}>${t('common.retry')}</button>` : ''}
  </div>`
