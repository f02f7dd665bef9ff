/**
 * @module
 * Chat Completions on OpenAI accounts: the unified chat routes hand a request whose model an
 * OpenAI account serves (`gpt-*`, `o1`/`o3`/`o4…`, `codex-*`, `chatgpt-*`) here. It is
 * translated to a Responses request (`openai/responses-bridge.ts`), relayed on the OpenAI family
 * (limits, scheduling, failover, usage and history as for `/openai/responses`, recorded under
 * the chat path), and its answer translated back, streamed or whole.
 */
import { openaiResponsesDialect } from '../dialects/openai/dialect.ts'
import { openAIErrorResponse } from '../openai/errors.ts'
import {
  chatToResponses,
  createResponsesToChatStream,
  responsesToChat,
} from '../openai/responses-bridge.ts'
import type { RelayService } from '../relay/pipeline.ts'
import { translatedAnswer, withJsonBody } from './openai-chat-relay.ts'

/** Whether a chat model is served by OpenAI accounts (the rest go to Claude as before). */
export function isOpenAIModel(model: unknown): boolean {
  return typeof model === 'string' && /^(gpt-|o\d|codex-|chatgpt-)/i.test(model.trim())
}

/** Relays a parsed chat request on OpenAI accounts; the answer in Chat Completions form. */
export async function chatOnOpenAI(
  relay: RelayService,
  request: Request,
  requestId: string,
  path: string,
  chat: Record<string, unknown>,
): Promise<Response> {
  if (!Array.isArray(chat.messages) || chat.messages.length === 0)
    return openAIErrorResponse(
      400,
      'invalid_request_error',
      'messages: must be a non-empty array',
      requestId,
    )
  const inner = withJsonBody(request, chatToResponses(chat))
  const route = {
    path,
    dialect: openaiResponsesDialect,
    operation: 'responses',
    family: 'openai' as const,
    billable: true,
  }
  const res = await relay.handle(inner, requestId, route, { clientRequest: request })
  if (res.status >= 400) return res
  const model = String(chat.model)
  const includeUsage =
    (chat.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true
  return translatedAnswer(res, requestId, {
    stream: () => createResponsesToChatStream({ model, includeUsage }),
    whole: (answer) => responsesToChat(answer as Record<string, unknown>, model),
  })
}
