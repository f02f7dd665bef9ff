/**
 * @module
 * What one request carries through the pipeline: the route it came in on, the key, its body, the
 * outcome being filled in for the recorder, and the hooks for its lease and a client disconnect.
 */
import type { AccountPlatform } from '../accounts/model.ts'
import type { Dialect, DialectName } from '../dialects/dialect.ts'
import type { ApiKey } from '../keys/model.ts'
import type { FamilyName } from '../platforms/adapter.ts'
import type { RequestOutcome } from './recorder.ts'

/** A client route as the relay sees it. */
export interface RelayRoute {
  /** The path the client called (recorded as the endpoint). */
  path: string
  dialect: Dialect
  /** The upstream operation the adapter builds, e.g. `messages`, `count_tokens`. */
  operation: string
  /** Which accounts may answer. */
  family: FamilyName
  /**
   * The route's main operation: counts toward usage and cost, takes a concurrency lease and
   * checks the key's client list (false for token counting).
   */
  billable: boolean
  /** Only these account kinds of the family may answer (all of them when absent). */
  platforms?: readonly AccountPlatform[]
  /**
   * What the client's path names beyond the operation (an Azure deployment): only accounts whose
   * adapter's `targetOk` takes it answer, and none is a 404.
   */
  target?: string
  /** Why no account serves the request, said instead of the generic reason (with `platforms`). */
  unservedReason?: string
}

/** The outcome of a request while it is being filled in. */
export type OutcomeDraft = Omit<
  RequestOutcome,
  'endTime' | 'status' | 'outcome' | 'errorType' | 'errorMessage'
>

/** How a request ends (what the recorder is told). */
export type Finish = (
  status: number,
  outcome: RequestOutcome['outcome'],
  errorType?: string,
  errorMessage?: string,
) => void

/** One request in the pipeline. */
export interface RequestContext {
  /** The request whose headers and body are relayed (a translated one on translating routes). */
  request: Request
  /** The request the server received (its idle timeout is lifted for streams). */
  clientRequest: Request
  requestId: string
  route: RelayRoute
  key: ApiKey
  body: Record<string, unknown>
  raw: Uint8Array
  model: string
  stream: boolean
  dialect: DialectName
  /** `performance.now()` when the request arrived. */
  t0: number
  /** The relay's own time so far (ms), shown as `x-relay-overhead-ms`. */
  overheadMs: number
  outcome: OutcomeDraft
  /** Gives the key's concurrency lease back (once). */
  releaseLease: () => void
  /**
   * Sets what a client disconnect does now (null: nothing). One listener on the client's signal
   * serves every phase of the request: adding and removing one per phase cost ~3 µs.
   */
  onClientAbort: (action: (() => void) | null) => void
}
