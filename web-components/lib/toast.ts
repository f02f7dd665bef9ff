/**
 * @module
 * Toast messages: `toast('Saved')`, `toastError(err)`. Shown by `<crs-toast>` in the shell.
 */
import { t } from '../i18n/i18n.ts'

export type ToastKind = 'info' | 'success' | 'error'

/** Shows a message. */
export function toast(message: string, kind: ToastKind = 'info'): void {
  window.dispatchEvent(new CustomEvent('crs-toast', { detail: { message, kind } }))
}

/** Text of an error. */
export function errorText(err: unknown): string {
  if (err instanceof Error && err.message) return err.message
  return typeof err === 'string' ? err : t('common.error')
}

/** Shows an error (never swallowed). */
export function toastError(err: unknown): void {
  toast(errorText(err), 'error')
}
