/**
 * @module
 * UI language: English or Simplified Chinese, defaulting to the browser's language, switchable and
 * remembered in localStorage. Only the active language is loaded (each is its own chunk);
 * components re-render on the `crs-locale-change` window event.
 */
import type { en } from './en.ts'

/** A message key (the English set is the reference). */
export type MessageKey = keyof typeof en
export type Locale = 'en' | 'zh-CN'

const STORAGE_KEY = 'crs.lang'
let current: Locale = initialLocale()
let dict: Record<MessageKey, string> | null = null

/** The language saved by the user, else the browser's. */
export function initialLocale(): Locale {
  const saved = localStorage.getItem(STORAGE_KEY)
  if (saved === 'en' || saved === 'zh-CN') return saved
  const langs = navigator.languages?.length ? navigator.languages : [navigator.language]
  return langs.some((l) => l.toLowerCase().startsWith('zh')) ? 'zh-CN' : 'en'
}

async function dictionaryOf(locale: Locale): Promise<Record<MessageKey, string>> {
  return locale === 'zh-CN' ? (await import('./zh-CN.ts')).zhCN : (await import('./en.ts')).en
}

/** The active language. */
export const getLocale = (): Locale => current

/** Loads the active language's texts; call once before the first render. */
export async function loadLocale(): Promise<void> {
  dict = await dictionaryOf(current)
  document.documentElement.lang = current
}

/** Switches the language (loading its texts), remembers it and tells every component. */
export async function setLocale(locale: Locale): Promise<void> {
  const next = await dictionaryOf(locale)
  current = locale
  dict = next
  localStorage.setItem(STORAGE_KEY, locale)
  document.documentElement.lang = locale
  window.dispatchEvent(new CustomEvent('crs-locale-change', { detail: locale }))
}

/** The text of a message, with `{name}` placeholders filled in. */
export function t(key: MessageKey, vars?: Record<string, string | number>): string {
  const text = dict?.[key] ?? key
  if (!vars) return text
  return text.replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m))
}
