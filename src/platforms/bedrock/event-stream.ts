/**
 * @module
 * The AWS event stream framing (`application/vnd.amazon.eventstream`) that Bedrock's
 * InvokeModelWithResponseStream answers in, decoded with web streams. Each message is: a prelude
 * (total length, headers length: big-endian uint32 each) with its own CRC32, the headers (name
 * length byte, name, value type byte, value), the payload, and a CRC32 of everything before it.
 * A message whose lengths or CRCs do not add up ends the stream with an error: the bytes after
 * it cannot be trusted to start a message.
 */

/** One decoded message: its headers (string, number, boolean or bytes values) and payload. */
export interface EventMessage {
  headers: Record<string, string | number | boolean | Uint8Array>
  payload: Uint8Array
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    t[n] = c >>> 0
  }
  return t
})()

/** CRC32 (IEEE 802.3, the one the event stream uses) of `bytes`. */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let c = 0xffffffff
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

/** The shortest message: prelude (12) + message CRC (4). */
const MIN_MESSAGE = 16
/** Bedrock's chunks are small; a length beyond this is a broken frame, not a message. */
const MAX_MESSAGE = 16 * 1024 * 1024

const utf8 = new TextDecoder()

function readHeaders(view: DataView, bytes: Uint8Array, start: number, end: number) {
  const headers: EventMessage['headers'] = {}
  let p = start
  while (p < end) {
    const nameLen = bytes[p]!
    const name = utf8.decode(bytes.subarray(p + 1, p + 1 + nameLen))
    p += 1 + nameLen
    const type = bytes[p++]
    switch (type) {
      case 0:
        headers[name] = true
        break
      case 1:
        headers[name] = false
        break
      case 2:
        headers[name] = view.getInt8(p)
        p += 1
        break
      case 3:
        headers[name] = view.getInt16(p)
        p += 2
        break
      case 4:
        headers[name] = view.getInt32(p)
        p += 4
        break
      case 5:
      case 8:
        headers[name] = Number(view.getBigInt64(p))
        p += 8
        break
      case 6:
      case 7: {
        const len = view.getUint16(p)
        const value = bytes.subarray(p + 2, p + 2 + len)
        headers[name] = type === 7 ? utf8.decode(value) : value.slice()
        p += 2 + len
        break
      }
      case 9:
        headers[name] = bytes.slice(p, p + 16)
        p += 16
        break
      default:
        throw new Error(`event stream: unknown header value type ${type}`)
    }
  }
  if (p !== end) throw new Error('event stream: headers overrun their length')
  return headers
}

/** A transform from event-stream bytes (split anywhere) to decoded messages. */
export function eventStreamDecoder(): TransformStream<Uint8Array, EventMessage> {
  let buf: Uint8Array = new Uint8Array(0)
  return new TransformStream({
    transform(chunk, controller) {
      if (buf.length === 0) buf = chunk
      else {
        const next = new Uint8Array(buf.length + chunk.length)
        next.set(buf)
        next.set(chunk, buf.length)
        buf = next
      }
      let offset = 0
      while (buf.length - offset >= 12) {
        const view = new DataView(buf.buffer, buf.byteOffset + offset)
        const total = view.getUint32(0)
        const headersLen = view.getUint32(4)
        if (total < MIN_MESSAGE || total > MAX_MESSAGE || headersLen > total - MIN_MESSAGE)
          throw new Error(`event stream: bad message length ${total}`)
        if (view.getUint32(8) !== crc32(buf, offset, offset + 8))
          throw new Error('event stream: prelude CRC mismatch')
        if (buf.length - offset < total) break
        if (view.getUint32(total - 4) !== crc32(buf, offset, offset + total - 4))
          throw new Error('event stream: message CRC mismatch')
        const msgBytes = buf.subarray(offset, offset + total)
        controller.enqueue({
          headers: readHeaders(view, msgBytes, 12, 12 + headersLen),
          payload: msgBytes.slice(12 + headersLen, total - 4),
        })
        offset += total
      }
      buf = offset === buf.length ? new Uint8Array(0) : buf.slice(offset)
    },
    flush() {
      if (buf.length > 0) throw new Error('event stream: ended inside a message')
    },
  })
}
