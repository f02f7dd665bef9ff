/**
 * @module
 * Building blocks of the admin API's schemas: the `{ success, data }` and `{ success, message }`
 * envelopes, the `:id` parameter, input schemas made from stored shapes (every field optional,
 * no defaults: an edit must not reset what it does not name), and {@link strictBody}, which checks
 * a body as it was sent, with the message every validation error of the API has.
 */
import {
  OptionalKind,
  Type as T,
  type TObject,
  type TProperties,
  type TSchema,
} from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { InvalidRequestError } from '../../core/errors.ts'

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

/** What a schema error says (TypeBox's, or Elysia's `valueError`). */
export interface SchemaError {
  path?: string
  message?: string
  schema?: { error?: unknown }
}

/**
 * The message of a refused field: a schema's own `error` text ("pageSize: expected 1 to 500"),
 * which names its field itself, else `Invalid request at /field: what it expects`. Never the
 * validator's dump of schema and value.
 */
export function validationMessage(e: SchemaError | undefined): string {
  const own = e?.schema?.error
  if (typeof own === 'string') return own
  const where = e?.path ? ` at ${e.path}` : ''
  return `Invalid request${where}: ${e?.message ?? 'validation failed'}`
}

/**
 * Route options that declare `schema` as the body and check the body as it was sent, before
 * Elysia normalizes it: its normalizer reads a number sent for an object field as `{}`, which
 * would then pass. A 400 names the first field that does not fit. An optional schema
 * (`t.Optional`) lets a request without a body through.
 */
export function strictBody<S extends TSchema>(schema: S) {
  const optional = (schema as Record<symbol, unknown>)[OptionalKind] === 'Optional'
  return {
    body: schema,
    transform({ body }: { body: unknown }) {
      if (body === undefined && optional) return
      const first = Value.Errors(schema, body).First()
      if (first) throw new InvalidRequestError(validationMessage(first))
    },
  }
}
