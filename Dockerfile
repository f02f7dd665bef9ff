# syntax=docker/dockerfile:1
# Multi-stage build on the official Bun image. The runtime stage holds only production files.

FROM oven/bun:1.3-alpine AS deps
WORKDIR /app
COPY package.json bun.lock* package-lock.json* ./
RUN bun install --production --ignore-scripts

FROM oven/bun:1.3-alpine AS runtime
WORKDIR /app
ENV NODE_ENV=production PORT=3000 HOST=0.0.0.0 DATA_DIR=/app/data
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY src ./src
RUN mkdir -p /app/data /app/logs && chown -R bun:bun /app/data /app/logs
USER bun
VOLUME ["/app/data", "/app/logs"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD wget -qO- http://127.0.0.1:3000/health >/dev/null || exit 1
CMD ["bun", "src/main.ts"]
