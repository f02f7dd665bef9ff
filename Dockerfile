# syntax=docker/dockerfile:1
# Claude Relay Service (Bun edition). Multi-stage on the official Bun image; the runtime stage
# holds production dependencies, the server source and the built web UI, and runs as `bun`.
# Works with the legacy builder (DOCKER_BUILDKIT=0, Debian's docker.io 20.10) and BuildKit.

# 1. Production dependencies only (also all the web build needs: Lit, uPlot, Bun's bundler).
FROM oven/bun:1.4.5 AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN bun install --production --ignore-scripts

# 2. Build the web UI into dist/web (hashed files, each with .br and .gz beside it), with the
# API docs page (Swagger UI from the swagger-ui-dist package).
FROM deps AS web
COPY bunfig.toml tsconfig.json ./
COPY src ./src
COPY web-components ./web-components
COPY scripts/precompress.ts scripts/docs-assets.ts ./scripts/
RUN bun web-components/build.ts

# 3. Runtime. Starts as root only to give the data and log folders to `bun` (bind mounts that
# Docker created are root's), then runs the relay as `bun` (scripts/docker-entrypoint.sh).
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
COPY scripts/docker-entrypoint.sh ./scripts/docker-entrypoint.sh
RUN mkdir -p /app/data /app/logs && chown -R bun:bun /app/data /app/logs
VOLUME ["/app/data", "/app/logs"]
EXPOSE 3000
# Checked every 5 s from the start (Docker 20.10 has no separate first interval), so `healthy`
# shows a few seconds after start; failures in the first 30 s do not count.
HEALTHCHECK --interval=5s --timeout=5s --start-period=30s --retries=3 \
  CMD ["bun", "-e", "fetch('http://127.0.0.1:3000/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["sh", "/app/scripts/docker-entrypoint.sh"]
CMD ["bun", "src/main.ts"]
