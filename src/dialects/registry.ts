/**
 * @module
 * Every dialect by name (history picks the assembler of a record's dialect; the account test
 * picks an adapter's first dialect).
 */
import { anthropicDialect } from './anthropic/dialect.ts'
import type { Dialect, DialectName } from './dialect.ts'
import { geminiDialect } from './gemini/dialect.ts'
import { openaiChatDialect, openaiResponsesDialect } from './openai/dialect.ts'

const DIALECTS = new Map<DialectName, Dialect>([
  [anthropicDialect.name, anthropicDialect],
  [openaiResponsesDialect.name, openaiResponsesDialect],
  [openaiChatDialect.name, openaiChatDialect],
  [geminiDialect.name, geminiDialect],
])

/** Adds a dialect (a platform module registers its own when it is loaded). */
export function registerDialect(dialect: Dialect): void {
  DIALECTS.set(dialect.name, dialect)
}

/** The dialect called `name`, or undefined. */
export function dialectOf(name: string): Dialect | undefined {
  return DIALECTS.get(name as DialectName)
}
