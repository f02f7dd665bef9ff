/**
 * @module
 * Gemini embeddings on the standard routes (`models/{model}:embedContent` and
 * `:batchEmbedContents`, which `@google/genai` calls for `models.embedContent`). Only the
 * Generative Language API serves them (Code Assist has no embeddings), so their routes take
 * Gemini API-key accounts only. The dialect is the Gemini one with the embedding bodies' checks
 * and an answer that always counts: Google's embedding answers carry no `usageMetadata` today, so
 * a request without one is recorded with 0 tokens. Each request of a batch names the path's model
 * (as Google requires), so a key's model list cannot be passed by naming another model inside.
 */
import { InvalidRequestError } from '../../core/errors.ts'
import { emptyUsage } from '../../usage/tokens.ts'
import type { Dialect, ParsedRequest } from '../dialect.ts'
import { bareModel, geminiDialectFor } from './dialect.ts'

/** The embedding methods of the Generative Language API. */
export const EMBED_METHODS: ReadonlySet<string> = new Set(['embedContent', 'batchEmbedContents'])

/** What a client is told when no account it can reach serves embeddings. */
export const EMBED_UNSERVED =
  'embeddings are served only by Gemini API-key accounts (the Code Assist API behind Google-login accounts has none), and this key reaches no such account for this model'

function isObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v)
}

function needContent(v: unknown, where: string): void {
  const parts = isObject(v) ? v.parts : undefined
  if (!Array.isArray(parts) || parts.length === 0)
    throw new InvalidRequestError(`${where}content.parts: must be a non-empty array`)
}

/** Checks an embedding body of `operation` for the path's `model`. */
export function parseEmbedBody(text: string, operation: string, model: string): ParsedRequest {
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    throw new InvalidRequestError('Invalid JSON payload received: cannot parse the request body')
  }
  if (!isObject(body))
    throw new InvalidRequestError('Invalid JSON payload received: expected an object')
  if (operation === 'embedContent') needContent(body.content, '')
  else {
    const requests = body.requests
    if (!Array.isArray(requests) || requests.length === 0)
      throw new InvalidRequestError('requests: must be a non-empty array')
    for (const [i, r] of requests.entries()) {
      if (!isObject(r)) throw new InvalidRequestError(`requests[${i}]: must be an object`)
      needContent(r.content, `requests[${i}].`)
      if (r.model !== undefined && bareModel(String(r.model)) !== model)
        throw new InvalidRequestError(
          `requests[${i}].model: must be models/${model}, the model of the request path`,
        )
    }
  }
  return { body, model, stream: false }
}

const byModel = new Map<string, Dialect>()

/** The dialect of an embedding route whose path names `model`. */
export function geminiEmbedDialectFor(model: string): Dialect {
  let d = byModel.get(model)
  if (!d) {
    const base = geminiDialectFor(model)
    d = {
      ...base,
      parse: (text, operation) => parseEmbedBody(text, operation, model),
      readAnswer(json) {
        const facts = base.readAnswer(json)
        return { ...facts, usage: facts.usage ?? emptyUsage() }
      },
    }
    if (byModel.size > 500) byModel.clear()
    byModel.set(model, d)
  }
  return d
}

/** A batch body whose requests name `upstreamModel` (the account maps the client's model). */
export function batchForModel(
  body: Record<string, unknown>,
  upstreamModel: string,
): Record<string, unknown> {
  const requests = (body.requests as Record<string, unknown>[]).map((r) =>
    r.model === undefined ? r : { ...r, model: `models/${upstreamModel}` },
  )
  return { ...body, requests }
}
