# syntax=docker/dockerfile:1
# Portico control plane image: multi-stage, production dependencies only, non-root, port 8788.
# Build from the repository root (multi-arch):
#   docker buildx build --platform linux/amd64,linux/arm64 -f docker/control-plane.Dockerfile -t <registry>/portico-control-plane:<tag> --push .
ARG NODE_IMAGE=node:22-slim

# ---- build: compile TypeScript once, on the builder's own architecture (the output is plain JS)
FROM --platform=$BUILDPLATFORM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.base.json ./
COPY packages ./packages
RUN npm ci --workspace @portico/control-plane --include-workspace-root=false --ignore-scripts --no-audit --no-fund
RUN npm run build -w @portico/contract -w @portico/control-plane

# ---- deps: production dependencies for the target architecture. better-sqlite3 is a native addon:
# its install script fetches (or builds) the binary for this stage's platform, so scripts run here.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
COPY packages ./packages
RUN npm ci --workspace @portico/control-plane --include-workspace-root=false --omit=dev --no-audit --no-fund \
 && npm rebuild better-sqlite3 \
 && npm cache clean --force

# ---- runtime
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    CONTROL_PLANE_PORT=8788 \
    DATA_DIR=/app/data
WORKDIR /app
COPY --from=deps /app/package.json ./package.json
COPY --from=deps /app/node_modules ./node_modules
COPY --from=deps /app/packages/control-plane/package.json ./packages/control-plane/package.json
COPY --from=build /app/packages/control-plane/dist ./packages/control-plane/dist
# The shared contract is a workspace link in node_modules: its package.json and build go beside it.
COPY --from=deps /app/packages/contract/package.json ./packages/contract/package.json
COPY --from=build /app/packages/contract/dist ./packages/contract/dist
# Embedded state (SQLite, the generated admin and encryption keys) lives under DATA_DIR; mount a volume
# there, or set DATABASE_URL and ENCRYPTION_KEY for production. The runtime user must own it.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
VOLUME ["/app/data"]
EXPOSE 8788
# node:22-slim has no curl: Node's own fetch checks the health endpoint.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.CONTROL_PLANE_PORT || 8788) + '/v1/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
STOPSIGNAL SIGTERM
CMD ["node", "packages/control-plane/dist/main.js"]
