/**
 * @module
 * TypeBox shorthands the models share.
 */
import { Type as T, type TLiteral, type TUnion } from '@sinclair/typebox'

/** A union of string literals: `literals('a', 'b')` is `T.Union([T.Literal('a'), T.Literal('b')])`. */
export function literals<const V extends string[]>(
  ...values: V
): TUnion<{ [K in keyof V]: TLiteral<V[K]> }> {
  return T.Union(values.map((v) => T.Literal(v))) as TUnion<{ [K in keyof V]: TLiteral<V[K]> }>
}
