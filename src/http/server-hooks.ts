/**
 * @module
 * What the app asks of the HTTP server it runs in, before that server exists: the entry point
 * attaches its server (Bun.serve, Deno.serve) once listening. Until then, and in tests that call
 * `app.handle` without a socket, the hooks do nothing.
 */

/** Server capabilities the app uses. */
export interface ServerHooks {
  /** Lifts the server idle timeout for a long-lived streaming request. */
  disableIdleTimeout(request: Request): void
  /** The peer address of a request's socket, or null. */
  requestIP(request: Request): string | null
  /** Turns a request into a WebSocket whose events go to `session`; false when it cannot. */
  upgrade(request: Request, session: unknown): boolean
}

/** Hooks that forward to the server attached later. */
export function createServerHooks(): ServerHooks & {
  attach(server: Partial<ServerHooks>): void
} {
  let server: Partial<ServerHooks> = {}
  return {
    disableIdleTimeout: (request) => server.disableIdleTimeout?.(request),
    requestIP: (request) => server.requestIP?.(request) ?? null,
    upgrade: (request, session) => server.upgrade?.(request, session) ?? false,
    attach(next) {
      server = next
    },
  }
}
