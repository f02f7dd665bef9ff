/**
 * @module
 * Turning the first characters of a JSON document into a valid JSON document. Captured bodies
 * are cut at a character limit; a script that reads a record's `requestBody.messages` needs JSON,
 * so the cut is closed where it fell: a string cut in the middle keeps its text and ends with a
 * marker, a value cut elsewhere (a number, a key, `tru…`) is left out, and the open arrays and
 * objects are closed. When no string carries the marker (the cut fell elsewhere, or the text is
 * whole but was made from a cut capture), an object at the top gets a `_truncated` member.
 */

/** What a cut JSON body says about itself. */
export interface TruncationNote {
  /** Size of the whole body in bytes. */
  totalBytes: number
  /** Characters of it kept. */
  keptChars: number
}

/** JSON whitespace, by character code. */
const isSpace = (c: number) => c === 32 || c === 10 || c === 13 || c === 9
/** What ends a number or a literal: whitespace, `,`, `]`, `}` or `:`. */
const isDelimiter = (c: number) => isSpace(c) || c === 44 || c === 93 || c === 125 || c === 58

/** The text a cut string ends with. */
export function truncationMarker(note: TruncationNote): string {
  return `…[truncated: ${note.totalBytes} bytes in total, ${note.keptChars} characters kept]`
}

/** Whether `text` looks like the start of a JSON object or array. */
export function looksLikeJson(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (isSpace(c)) continue
    return c === 123 || c === 91
  }
  return false
}

/**
 * Closes the JSON prefix `text` into a valid document marked as cut, or returns null when the
 * text is not a JSON object or array prefix (then the caller keeps it as text).
 */
export function closeJsonPrefix(text: string, note: TruncationNote): string | null {
  // Containers open at each point, one character each ('{' or '['), kept as a string so that
  // remembering the state at a safe point is an assignment. In an object, `key` tells whether
  // the next string is a member name.
  let stack = ''
  let key = false
  /** Longest prefix that is complete up to a value or an opening bracket, and its state. */
  let safe = -1
  let safeStack = ''
  let inString = false
  let stringStart = 0
  /** Where a string's cut escape sequence (`\`, `\u00`) begins, if the text ends in one. */
  let cutEscape = -1
  let stringIsKey = false
  let started = false
  let i = 0
  const n = text.length
  const mark = () => {
    safe = i + 1
    safeStack = stack
  }
  // The next quote and the next backslash at or after a position, each found once (most of a
  // body is inside strings, and code in them has an escape every line); none left is `n`.
  let nextQuote = -1
  let nextSlash = -1
  /** The innermost open container is an object. */
  const inObject = () => stack.charCodeAt(stack.length - 1) === 123
  while (i < n) {
    if (inString) {
      // Jump to the string's next quote or backslash.
      if (nextQuote < i) {
        nextQuote = text.indexOf('"', i)
        if (nextQuote < 0) nextQuote = n
      }
      if (nextSlash < i) {
        nextSlash = text.indexOf('\\', i)
        if (nextSlash < 0) nextSlash = n
      }
      i = Math.min(nextQuote, nextSlash)
      if (i >= n) break
      if (i === nextSlash) {
        const len = text.charCodeAt(i + 1) === 117 ? 6 : 2
        if (i + len > n) {
          cutEscape = i
          break
        }
        i += len
        continue
      }
      inString = false
      if (stringIsKey) key = false
      else mark()
      i++
      continue
    }
    const c = text.charCodeAt(i)
    if (isSpace(c)) {
      i++
      continue
    }
    if (!started) {
      if (c !== 123 && c !== 91) return null
      started = true
    } else if (stack.length === 0) {
      return null // text after the document: not a prefix of one document
    }
    switch (c) {
      case 123: // {
        stack += '{'
        key = true
        mark()
        break
      case 91: // [
        stack += '['
        mark()
        break
      case 125: // }
      case 93: // ]
        if (stack.charCodeAt(stack.length - 1) !== (c === 125 ? 123 : 91)) return null
        stack = stack.slice(0, -1)
        key = false
        mark()
        break
      case 44: // ,
        key = inObject()
        break
      case 58: // :
        break
      case 34: // "
        inString = true
        stringStart = i
        stringIsKey = key && inObject()
        break
      default: {
        // A number or a literal: complete only when a delimiter follows it.
        let j = i
        while (j < n && !isDelimiter(text.charCodeAt(j))) j++
        if (j === n) {
          i = n
          continue
        }
        i = j - 1
        mark()
      }
    }
    i++
  }
  if (!started) return null
  if (stack.length === 0) {
    // Whole, but what it was made from was cut (an assembled stream): note it in the object.
    const end = text.lastIndexOf('}')
    if (end < 0 || text.trimStart()[0] !== '{') return null
    const empty = /\{\s*$/.test(text.slice(0, end))
    const member = `"_truncated":${JSON.stringify(truncationMarker(note))}`
    return `${text.slice(0, end)}${empty ? '' : ','}${member}${text.slice(end)}`
  }
  const closers = (open: string) =>
    [...open]
      .reverse()
      .map((b) => (b === '{' ? '}' : ']'))
      .join('')
  const marker = truncationMarker(note)
  if (inString && !stringIsKey) {
    let body = text.slice(stringStart + 1, cutEscape < 0 ? n : cutEscape)
    // Half of a surrogate pair at the end cannot be encoded.
    if (/[\uD800-\uDBFF]$/.test(body)) body = body.slice(0, -1)
    return `${text.slice(0, stringStart)}"${body}${jsonEscape(marker)}"${closers(stack)}`
  }
  // `safe` ends a complete value or an opening bracket, so no member name dangles there.
  const head = text.slice(0, safe)
  const open = safeStack
  if (!open.startsWith('{')) return `${head}${closers(open)}`
  // The note goes into the top-level object, after its containers still open are closed.
  const sep = head.endsWith('{') && open.length === 1 ? '' : ','
  return `${head}${closers(open.slice(1))}${sep}"_truncated":${JSON.stringify(marker)}}`
}

function jsonEscape(s: string): string {
  return JSON.stringify(s).slice(1, -1)
}
