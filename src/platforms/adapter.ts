/**
 * @module
 * The platform seam. A platform adapter describes one kind of upstream account (Claude OAuth,
 * Claude Console, and later OpenAI, Gemini, Bedrock, …) by what the generic relay pipeline needs
 * from it: which family of client routes it serves and in which dialects, which models it takes,
 * how one try becomes an upstream request (URL, credentials, headers, body rewrite), how
 * credentials are renewed after a 401, how an upstream failure counts against the account's
 * health, and, where its framing differs from the dialect's, how its answer is turned into the
 * dialect's bytes. Usage, stream completion, history assembly and error shapes come from the
 * route's dialect (`dialects/`). The admin "test" probe builds its request through the same
 * `prepare`, so a probe and real traffic cannot disagree.
 */
import type { TObject } from '@sinclair/typebox'
import type { AttemptResult } from '../accounts/health.ts'
import type { Account, AccountPlatform } from '../accounts/model.ts'
import type { PoolEntry } from '../accounts/service.ts'
import type { DialectName } from '../dialects/dialect.ts'
import type { ApiKey, KeyPermission } from '../keys/model.ts'

/** Header values by lower-case name (a plain object costs less than `Headers`). */
export type HeaderMap = Record<string, string>

/** A group of client routes served by the same accounts (and the key permission they need). */
export type FamilyName = 'claude' | 'openai' | 'azure' | 'gemini' | 'droid' | 'ccr'

/** One try of a request on one account, as the adapter sees it. */
export interface UpstreamCall {
  entry: PoolEntry
  dialect: DialectName
  /** The route's operation, e.g. `messages`, `count_tokens`. */
  operation: string
  /** The client's headers (never forwarded wholesale: adapters whitelist). */
  clientHeaders: Headers
  /** The client's body, parsed. */
  body: Record<string, unknown>
  /** The client's body as received; sent as is unless the adapter must change it. */
  raw: Uint8Array
  /** The model the client asked for. */
  model: string
  /** The model after the account's mapping (what upstream should be asked for). */
  upstreamModel: string
  stream: boolean
  /** What the client's path named beyond the operation (an Azure deployment), if anything. */
  target?: string
}

/** The upstream request of one try. */
export interface UpstreamRequest {
  url: string
  method?: string
  headers: HeaderMap
  body: string | Uint8Array
  /** The model id actually asked for, when the adapter renames it (e.g. a Bedrock model id). */
  upstreamModel?: string
  /** Request fix-ups the adapter applied to the body (recorded in history with the body sent). */
  fixups?: string[]
}

/** An upstream failure as the adapter classifies it. */
export interface UpstreamRefusal {
  status: number
  headers: Headers
  /** The error message read from the body. */
  message: string
  model: string
  /** The error body as received (up to 64 KB), for kinds whose reset time is in it. */
  body?: Uint8Array
}

/** One kind of upstream account. */
export interface PlatformAdapter {
  readonly platform: AccountPlatform
  readonly family: FamilyName
  /** Dialects this kind of account answers (after {@link adaptResponse}). */
  readonly dialects: readonly DialectName[]
  /** A model used by the admin test probe when none is given. */
  readonly probeModel: string
  /** The shape of this kind's `account.options` (checked when the admin writes them). */
  readonly options?: TObject
  /**
   * Whether the account takes `model` beyond its `supportedModels` list (plan limits), for a
   * request of `dialect` (an account may serve only some of its kind's endpoints).
   */
  modelOk?(account: Account, model: string, dialect?: DialectName): boolean
  /**
   * Whether the account serves the resource the client's path named (`RelayRoute.target`, e.g.
   * an Azure deployment) for the requested `model`. Accounts of kinds without it do not.
   */
  targetOk?(account: Account, target: string, model: string): boolean
  /** Builds the upstream request of one try (may refresh credentials first). */
  prepare(call: UpstreamCall): Promise<UpstreamRequest>
  /** After a 401: renews credentials; true when one more try on this account may pass. */
  renewAfterUnauthorized?(entry: PoolEntry): Promise<boolean>
  /** Health effect of a refusal (default: `accounts/health.ts` rules for HTTP statuses). */
  classify?(refusal: UpstreamRefusal, entry: PoolEntry): AttemptResult
  /** Turns the upstream answer into the dialect's framing when it differs (e.g. an event stream). */
  adaptResponse?(res: Response, call: UpstreamCall): Response
  /**
   * What this kind's price is as a multiple of the listed one, for the model id sent upstream and
   * the priced (canonical) model; e.g. Bedrock's regional endpoints cost 10% more. Default 1.
   */
  priceFactor?(upstreamModel: string, pricedModel: string): number
  /** Sees the headers of every upstream answer of this account (rate-limit windows). */
  observe?(entry: PoolEntry, headers: Headers): void
}

/** A family of client routes. */
export interface Family {
  readonly name: FamilyName
  /** The key permission (besides `all`) that opens these routes. */
  readonly permission: KeyPermission
  /**
   * The key's binding for this family: an account id (any stored prefix such as `responses:`
   * removed), `group:<id>`, or '' for the shared pool.
   */
  bindingOf(key: ApiKey): string
  /**
   * When a request's model belongs to another family's accounts on these routes (the seed's
   * `ccr,<model>`): that family and the model its accounts are asked for. Null otherwise.
   */
  divert?(model: string): { family: FamilyName; model: string } | null
}

/** Every adapter, by platform. */
export interface PlatformRegistry {
  adapter(platform: AccountPlatform): PlatformAdapter
  family(name: FamilyName): Family
  /** Platforms of a family. */
  platformsOf(family: FamilyName): readonly AccountPlatform[]
}
