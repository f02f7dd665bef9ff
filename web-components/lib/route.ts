/**
 * @module
 * Hash routes with query parameters (`#/history?status=error&page=2`), so every page state can be
 * bookmarked and reloaded. Query changes push a history entry and fire `crs-route`.
 */

/** A parsed route. */
export interface Route {
  path: string
  query: Record<string, string>
}

/** The route in the address bar. */
export function currentRoute(): Route {
  const raw = location.hash.replace(/^#/, '')
  const [path = '', qs = ''] = raw.split('?', 2)
  const query: Record<string, string> = {}
  for (const [k, v] of new URLSearchParams(qs)) query[k] = v
  return { path: path.replace(/^\/+|\/+$/g, ''), query }
}

/** The href of a route. */
export function href(path: string, query: Record<string, string | undefined> = {}): string {
  const qs = new URLSearchParams()
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') qs.set(k, v)
  const s = qs.toString()
  return `#/${path}${s ? `?${s}` : ''}`
}

/** Goes to a route (a new history entry). */
export function navigate(path: string, query: Record<string, string | undefined> = {}): void {
  const next = href(path, query)
  if (location.hash === next) return
  location.hash = next
}

/** Changes query parameters of the current route; `undefined` or '' removes one. */
export function updateQuery(
  patch: Record<string, string | undefined>,
  options: { replace?: boolean } = {},
): void {
  const { path, query } = currentRoute()
  const merged: Record<string, string | undefined> = { ...query, ...patch }
  const next = href(path, merged)
  if (location.hash === next) return
  if (options.replace) history.replaceState(null, '', next)
  else history.pushState(null, '', next)
  window.dispatchEvent(new CustomEvent('crs-route'))
}
