/**
 * @module
 * The port through which the relay reports each finished request, exactly once, whatever the
 * path. Usage counters, cost and request history implement it; it must never throw or block.
 */
import type { DialectName } from '../dialects/dialect.ts'
import type { ApiKey } from '../keys/model.ts'
import type { TokenUsage } from '../usage/tokens.ts'

/** One upstream attempt of a request (failover trail). */
export interface Attempt {
  accountId: string
  accountName: string
  status: number
  error: string
  ms: number
  /** The body sent to this account when the adapter changed the client's (capped). */
  upstreamBody?: string
  /** Request fix-ups applied on this try (`max_tokens`, `cache_ttl`, `cache_blocks`, `top_p`). */
  fixups?: string[]
}

/** Everything known about a finished request. */
export interface RequestOutcome {
  requestId: string
  key: ApiKey
  /** The path the client called. */
  endpoint: string
  /** The dialect of the route (and of the stored bodies). */
  dialect: DialectName
  /** The model the client asked for. */
  requestedModel: string
  /** The model sent upstream (after the account's mapping); '' when no account was tried. */
  upstreamModel: string
  /**
   * The model the request is accounted under: the priced canonical name, else the model the
   * upstream reported, else the requested one. Usage, cost, history and logs use this one.
   */
  model: string
  stream: boolean
  userAgent: string
  startTime: number
  endTime: number
  ttfbMs: number | null
  overheadMs: number | null
  accountId: string
  accountName: string
  /** Platform of the account that answered ('' when none did). */
  platform: string
  status: number
  outcome: 'success' | 'error' | 'aborted' | 'rejected'
  errorType: string
  errorMessage: string
  /** Tokens seen; null when nothing was counted (count_tokens, rejections). */
  usage: TokenUsage | null
  /** Whether usage should count toward billing (false for count_tokens). */
  billable: boolean
  /** Cost of `usage` in nano-dollars (1e-9 USD); 0 when unpriced. */
  costNanos: number
  /** False when the model has no price (its cost is 0, shown as unpriced). */
  priced: boolean
  /** Whether the long-context price tier applied. */
  longContext: boolean
  attempts: Attempt[]
  /**
   * The client's request headers, kept by reference (credentials are removed when the history
   * record is built, off the response path); a plain object once handed to a writer thread.
   */
  requestHeaders?: Headers | Record<string, string>
  /** The request body as received (capped), and the response as sent (capped). */
  requestBody: string
  /** Size of the whole request body in bytes. */
  requestBodyBytes: number
  responseBody: string
  /** Bytes of response the client received. */
  responseBodyBytes: number
  responseTruncated: boolean
  /** Start of the key's rate window that admitted the request (0 = none). */
  windowStart: number
}

/** Receives finished requests. */
export interface RequestRecorder {
  record(outcome: RequestOutcome): void
}

/** A recorder that fans out to several; one that throws is logged and does not affect the others. */
export function fanOutRecorder(
  recorders: RequestRecorder[],
  onError?: (err: unknown) => void,
): RequestRecorder {
  return {
    record(o) {
      for (const r of recorders) {
        try {
          r.record(o)
        } catch (err) {
          onError?.(err)
        }
      }
    },
  }
}
