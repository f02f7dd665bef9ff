/**
 * @module
 * Building blocks of the admin API's schemas: the `{ success, data }` and `{ success, message }`
 * envelopes, the `:id` parameter, and input schemas made from stored shapes (every field
 * optional, no defaults: an edit must not reset what it does not name).
 */
import { Type as T, type TObject, type TProperties, type TSchema } from '@sinclair/typebox'

/** `{ success: true, data }`. */
export const ok = <S extends TSchema>(data: S) => T.Object({ success: T.Boolean(), data })

/** `{ success: true, message }`. */
export const OkMessage = T.Object({ success: T.Boolean(), message: T.String() })

/** The `:id` of a route. */
export const IdParams = T.Object({ id: T.String() })

/** A copy of `schema` whose properties have no `default` (the fields stay as they are). */
export function withoutDefaults<P extends TProperties>(schema: TObject<P>): TObject<P> {
  const properties = {} as Record<string, TSchema>
  for (const [name, prop] of Object.entries(schema.properties as Record<string, TSchema>)) {
    const { default: _default, ...rest } = prop
    properties[name] = rest as TSchema
  }
  return { ...schema, properties } as TObject<P>
}

/** Every field of `schema` optional and without a default; other fields are let through. */
export function inputOf<P extends TProperties>(schema: TObject<P>, description?: string) {
  return T.Partial(withoutDefaults(schema), {
    additionalProperties: true,
    ...(description ? { description } : {}),
  })
}
