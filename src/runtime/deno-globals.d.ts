// The part of the Deno namespace the Deno entry point uses (the project type-checks with bun-types).
declare namespace Deno {
  interface ServeHandlerInfo {
    remoteAddr: { hostname: string; port: number }
  }
  interface HttpServer {
    finished: Promise<void>
    shutdown(): Promise<void>
  }
  function serve(
    options: {
      port: number
      hostname: string
      onListen?: (addr: { hostname: string; port: number }) => void
    },
    handler: (request: Request, info: ServeHandlerInfo) => Response | Promise<Response>,
  ): HttpServer
  function addSignalListener(signal: 'SIGTERM' | 'SIGINT', handler: () => void): void
  function exit(code?: number): never
  function memoryUsage(): { rss: number; heapTotal: number; heapUsed: number; external: number }
  const env: { toObject(): Record<string, string> }
}
