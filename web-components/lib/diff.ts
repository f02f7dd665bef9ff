/**
 * @module
 * The fields an edit changed: a flat list of paths with their value before and after, so an audit
 * entry reads as "priority: 50 → 10" instead of two JSON documents.
 */

/** One changed field. */
export interface FieldChange {
  /** Dotted path of the field (`proxy.port`). */
  path: string
  kind: 'added' | 'removed' | 'changed'
  before: unknown
  after: unknown
}

/** Fields that change on every write and say nothing about it. */
const NOISE = new Set(['updatedAt'])

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v)

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b)

/**
 * The changed fields between two documents, depth first in key order. Objects are compared field
 * by field; arrays and other values as a whole. A missing document (create, delete) lists every
 * field of the other one.
 */
export function diffFields(before: unknown, after: unknown, prefix = ''): FieldChange[] {
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])]
    return keys.flatMap((k) => {
      if (NOISE.has(k)) return []
      const path = prefix ? `${prefix}.${k}` : k
      const inB = Object.hasOwn(before, k)
      const inA = Object.hasOwn(after, k)
      if (inB && inA) return diffFields(before[k], after[k], path)
      return [
        inA
          ? { path, kind: 'added' as const, before: undefined, after: after[k] }
          : { path, kind: 'removed' as const, before: before[k], after: undefined },
      ]
    })
  }
  if ((before === null || before === undefined) && isObject(after))
    return diffFields({}, after, prefix)
  if (isObject(before) && (after === null || after === undefined))
    return diffFields(before, {}, prefix)
  if (same(before, after)) return []
  return [{ path: prefix || '(value)', kind: 'changed', before, after }]
}

/** A value as one line of text. */
export function valueText(v: unknown): string {
  if (v === undefined) return ''
  if (v === null) return 'null'
  if (typeof v === 'string') return v === '' ? '""' : v
  if (Array.isArray(v) && v.every((x) => typeof x !== 'object' || x === null))
    return v.length ? v.map((x) => String(x)).join(', ') : '[]'
  return JSON.stringify(v)
}
