/**
 * @module
 * A dialect is a wire protocol a client speaks to us and an upstream answers in: Anthropic
 * Messages, OpenAI Responses, OpenAI Chat Completions, Gemini. The relay pipeline is the same for
 * all; what differs per dialect is here: how a request body is checked and read (model, stream),
 * how usage is read from an answer (streamed through a pass-through tap, or whole), how a stream
 * is rebuilt into one answer for history, and what errors look like. Platform adapters
 * (`platforms/`) say which dialects an account kind serves; a route names the dialect it speaks.
 */
import type { RelayError } from '../core/errors.ts'
import type { TokenUsage } from '../usage/tokens.ts'

/** The dialects the relay knows. */
export type DialectName = 'anthropic' | 'openai-responses' | 'openai-chat' | 'gemini'

/** What a client request body says, as far as the relay needs it. */
export interface ParsedRequest {
  /** The body as an object (opaque beyond the fields below). */
  body: Record<string, unknown>
  /** The requested model. */
  model: string
  /** Whether the answer will be a stream. */
  stream: boolean
}

/** What a stream tap learned from a stream. */
export interface StreamFacts {
  /** The model the upstream reported (or the requested one). */
  model: string
  usage: TokenUsage
  /** The stream ended the way this dialect ends a complete answer. */
  complete: boolean
  /** An error event inside the stream (e.g. overloaded after HTTP 200). */
  error: { type: string; message: string } | null
  /** Raw stream text kept for history, at most the capture limit in bytes. */
  captured: string
  capturedTruncated: boolean
  /** Bytes that passed through. */
  bytes: number
}

/** A pass-through reader of a streamed answer: fed every chunk as it is forwarded. */
export interface StreamTap {
  /** The facts so far (`complete` and `error` are final after {@link close}). */
  readonly facts: StreamFacts
  /** Feeds one forwarded chunk (the chunk may be handed to the socket afterwards). */
  push(chunk: Uint8Array): void
  /** Scans the last partial line. */
  close(): void
  /** Closes the scan and returns every fact (usage summed, capture decoded); call once. */
  finish(): StreamFacts
}

/** Usage and model of a whole (non-streamed) answer. */
export interface AnswerFacts {
  usage: TokenUsage | null
  /** The model the upstream reported, or '' when it did not say. */
  model: string
}

/** One dialect. */
export interface Dialect {
  readonly name: DialectName
  /**
   * Checks a client body for `operation` and reads what the relay needs.
   * @throws InvalidRequestError naming the field
   */
  parse(text: string, operation: string): ParsedRequest
  /**
   * The sticky-session identity of a request (a stable hash or session id), or null when it has
   * none; requests of one session go to the same account.
   */
  sessionHash(body: Record<string, unknown>, headers: Headers): Promise<string | null>
  /** A tap for a streamed answer of this dialect. */
  createTap(options: { captureLimit: number; model: string }): StreamTap
  /** Usage and model of a whole JSON answer (already parsed). */
  readAnswer(json: unknown): AnswerFacts
  /** The message of an upstream error body (JSON in this dialect's shape, or text). */
  upstreamMessage(bytes: Uint8Array): string
  /**
   * The answer to a client when every try failed: the last upstream failure, its status kept,
   * its body passed on when it is an error in this dialect's shape (with our request id added).
   */
  upstreamErrorResponse(last: UpstreamFailure, requestId: string): Response
  /** The answer to a client for one of our own errors, in this dialect's error shape. */
  errorResponse(err: RelayError, requestId: string): Response
  /** A mid-stream error event, as bytes to send after the stream already began. */
  streamError(type: string, message: string, requestId: string): Uint8Array
  /**
   * Rebuilds the answer a client received from a stream's captured text (for history), or null
   * when the text holds nothing of this dialect. `textLimit` bounds the text kept.
   */
  assemble(text: string, textLimit?: number): { message: unknown; cut: boolean } | null
  /** The text of an answer (a whole JSON answer, or one rebuilt by {@link assemble}). */
  answerText(answer: unknown): string
  /** A tiny streamed request for `model`: what the admin's account test sends. */
  probeRequest(model: string): { operation: string; body: Record<string, unknown> }
}

/** An upstream failure kept to answer the client when no account is left to try. */
export interface UpstreamFailure {
  status: number
  body: Uint8Array
  headers: Headers
  message: string
}
