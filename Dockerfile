# syntax=docker/dockerfile:1
# Claude Relay Service (Bun edition). Multi-stage on the official Bun image; the runtime stage
# holds production dependencies, the server source and the built web UI, and runs as `bun`.

# 1. Build the web UI (Lit + uPlot) into dist/web.
FROM oven/bun:1.4.5 AS web
WORKDIR /app
COPY package.json package-lock.json bunfig.toml tsconfig.json ./
RUN bun install --ignore-scripts
COPY src ./src
COPY web-components ./web-components
RUN bun web-components/build.ts

# 2. Production dependencies only.
FROM oven/bun:1.4.5 AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN bun install --production --ignore-scripts

# 3. Runtime.
FROM oven/bun:1.4.5-slim AS runtime
WORKDIR /app
# Bun's fetch keeps at most 256 requests in flight per process unless told otherwise at start:
# each open stream holds one upstream request.
ENV NODE_ENV=production PORT=3000 HOST=0.0.0.0 DATA_DIR=/app/data LOG_DIR=/app/logs \
    BUN_CONFIG_MAX_HTTP_REQUESTS=4096
COPY --from=deps /app/node_modules ./node_modules
COPY package.json bunfig.toml ./
COPY src ./src
COPY --from=web /app/dist/web ./dist/web
RUN mkdir -p /app/data /app/logs && chown -R bun:bun /app/data /app/logs
USER bun
VOLUME ["/app/data", "/app/logs"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["bun", "-e", "fetch('http://127.0.0.1:3000/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["bun", "src/main.ts"]
