/**
 * @module
 * WebSocket sessions without tying the app to a runtime: a route that accepts an upgrade hands
 * the server a session object (`upgrade(request, session)`), and the server's socket events go to
 * that session. Bun's `ServerWebSocket` (and Deno's socket, wrapped) fit {@link SocketConn}.
 */

/** The socket as a session sees it. */
export interface SocketConn {
  send(text: string): unknown
  close(code?: number, reason?: string): unknown
}

/** One WebSocket session. */
export interface SocketSession {
  open?(conn: SocketConn): void
  message(conn: SocketConn, text: string): void
  close?(conn: SocketConn): void
}

/** A socket whose `data` is the session it belongs to (as the server hands it back). */
type WithSession = SocketConn & { data: SocketSession }

/** The socket event handlers an entry point gives its server (Bun.serve's `websocket`). */
export const socketHandlers = {
  idleTimeout: 255,
  open(ws: WithSession) {
    ws.data.open?.(ws)
  },
  message(ws: WithSession, message: string | Uint8Array) {
    ws.data.message(ws, typeof message === 'string' ? message : new TextDecoder().decode(message))
  },
  close(ws: WithSession) {
    ws.data.close?.(ws)
  },
}
