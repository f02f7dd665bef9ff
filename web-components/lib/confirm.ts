/**
 * @module
 * `await confirmAction({ message })` → true when the user confirms (a `<crs-confirm-dialog>`).
 */
import '../components/crs-confirm-dialog.ts'

export interface ConfirmOptions {
  heading?: string
  message: string
  detail?: string
  confirmLabel?: string
  cancelLabel?: string
  danger?: boolean
  /** A word the user must type before confirming. */
  requireText?: string
}

export function confirmAction(options: ConfirmOptions): Promise<boolean> {
  return new Promise((resolve) => {
    const el = document.createElement('crs-confirm-dialog')
    el.heading = options.heading ?? ''
    el.message = options.message
    el.detail = options.detail ?? ''
    el.confirmLabel = options.confirmLabel ?? ''
    el.cancelLabel = options.cancelLabel ?? ''
    el.danger = options.danger ?? false
    el.requireText = options.requireText ?? ''
    el.addEventListener('crs-confirm-result', (e) => {
      el.remove()
      resolve((e as CustomEvent<boolean>).detail)
    })
    document.body.append(el)
  })
}
