/**
 * @module
 * UI language: English or Simplified Chinese, defaulting to the browser's language, switchable and
 * remembered in localStorage. Components re-render on the `crs-locale-change` window event.
 */
import { en, type MessageKey } from './en.ts'
import { zhCN } from './zh-CN.ts'

export type Locale = 'en' | 'zh-CN'
export type { MessageKey }

const STORAGE_KEY = 'crs.lang'
const dictionaries: Record<Locale, Record<MessageKey, string>> = { en, 'zh-CN': zhCN }

function initial(): Locale {
  const saved = localStorage.getItem(STORAGE_KEY)
  if (saved === 'en' || saved === 'zh-CN') return saved
  const langs = navigator.languages?.length ? navigator.languages : [navigator.language]
  return langs.some((l) => l.toLowerCase().startsWith('zh')) ? 'zh-CN' : 'en'
}

let current: Locale = initial()

/** The active language. */
export const getLocale = (): Locale => current

/** Switches the language, remembers it and tells every component. */
export function setLocale(locale: Locale): void {
  current = locale
  localStorage.setItem(STORAGE_KEY, locale)
  document.documentElement.lang = locale
  window.dispatchEvent(new CustomEvent('crs-locale-change', { detail: locale }))
}

/** The text of a message, with `{name}` placeholders filled in. */
export function t(key: MessageKey, vars?: Record<string, string | number>): string {
  const text = dictionaries[current][key] ?? en[key]
  if (!vars) return text
  return text.replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m))
}

document.documentElement.lang = current
