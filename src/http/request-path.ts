/**
 * @module
 * The path of a request URL without building a URL object (hooks that run on every request).
 */

/** The path of an absolute URL, without query or fragment. */
export function pathOf(url: string): string {
  const start = url.indexOf('/', url.indexOf('//') + 2)
  if (start < 0) return '/'
  const end = url.slice(start).search(/[?#]/)
  return end < 0 ? url.slice(start) : url.slice(start, start + end)
}
