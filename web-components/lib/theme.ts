/**
 * @module
 * Light and dark themes: follows prefers-color-scheme unless the user picks one (remembered).
 * Sets `data-theme` on <html> and fires `crs-theme-change`.
 */
export type ThemeChoice = 'light' | 'dark' | 'system'

const STORAGE_KEY = 'crs.theme'
const media = () => window.matchMedia('(prefers-color-scheme: dark)')

/** The stored choice. */
export function themeChoice(): ThemeChoice {
  const v = localStorage.getItem(STORAGE_KEY)
  return v === 'light' || v === 'dark' ? v : 'system'
}

/** The theme in effect. */
export function resolvedTheme(): 'light' | 'dark' {
  const c = themeChoice()
  return c === 'system' ? (media().matches ? 'dark' : 'light') : c
}

function apply(): void {
  document.documentElement.dataset.theme = resolvedTheme()
  window.dispatchEvent(new CustomEvent('crs-theme-change', { detail: resolvedTheme() }))
}

/** Picks a theme and remembers it. */
export function setTheme(choice: ThemeChoice): void {
  if (choice === 'system') localStorage.removeItem(STORAGE_KEY)
  else localStorage.setItem(STORAGE_KEY, choice)
  apply()
}

/** Applies the theme now and follows the system setting from then on. */
export function initTheme(): void {
  apply()
  media().addEventListener('change', () => {
    if (themeChoice() === 'system') apply()
  })
}
