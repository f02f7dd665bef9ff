/**
 * @module
 * Toast messages: `toast('Saved')`, `toastError(err)`. The messages live here; every
 * `<crs-toast>` region shows them, but only the newest connected one does (the shell's, or the one
 * inside the topmost open dialog: a modal dialog makes everything outside it inert, so a toast
 * under its backdrop could be neither read nor dismissed).
 */
import { t } from '../i18n/i18n.ts'

export type ToastKind = 'info' | 'success' | 'error'

/** One message on screen. */
export interface ToastItem {
  id: number
  message: string
  kind: ToastKind
}

let items: ToastItem[] = []
let seq = 0
const listeners = new Set<() => void>()
const regions: object[] = []

function changed(): void {
  for (const l of listeners) l()
}

/** Shows a message (errors stay 9 s, others 4 s). */
export function toast(message: string, kind: ToastKind = 'info'): void {
  const id = ++seq
  items = [...items.slice(-4), { id, message, kind }]
  changed()
  setTimeout(() => dismissToast(id), kind === 'error' ? 9000 : 4000)
}

/** Removes a message. */
export function dismissToast(id: number): void {
  const next = items.filter((i) => i.id !== id)
  if (next.length === items.length) return
  items = next
  changed()
}

/** The messages on screen, oldest first. */
export const toastItems = (): readonly ToastItem[] => items

/** Registers a toast region; the returned function unregisters it. */
export function addToastRegion(region: object, onChange: () => void): () => void {
  regions.push(region)
  listeners.add(onChange)
  changed()
  return () => {
    const i = regions.lastIndexOf(region)
    if (i >= 0) regions.splice(i, 1)
    listeners.delete(onChange)
    changed()
  }
}

/** Whether a region is the one that shows the messages now (the newest connected). */
export const isActiveToastRegion = (region: object): boolean => regions.at(-1) === region

/** Text of an error. */
export function errorText(err: unknown): string {
  if (err instanceof Error && err.message) return err.message
  return typeof err === 'string' ? err : t('common.error')
}

/** Shows an error (never swallowed). */
export function toastError(err: unknown): void {
  toast(errorText(err), 'error')
}
