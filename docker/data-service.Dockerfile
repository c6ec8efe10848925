# syntax=docker/dockerfile:1
# Portico data service image: multi-stage, production dependencies only, non-root, port 8081.
# Builds packages/data-service (and the shared packages/contract it links) the same way as the gateway.
# Build from the repository root (multi-arch):
#   docker buildx build --platform linux/amd64,linux/arm64 -f docker/data-service.Dockerfile -t <registry>/portico-data-service:<tag> --push .
ARG NODE_IMAGE=node:22-slim

# ---- build: compile TypeScript once, on the builder's own architecture (the output is plain JS)
FROM --platform=$BUILDPLATFORM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.base.json ./
COPY packages ./packages
RUN npm ci --workspace @portico/data-service --include-workspace-root=false --ignore-scripts --no-audit --no-fund
RUN npm run build -w @portico/contract
RUN npm run build -w @portico/data-service

# ---- deps: production dependencies for the target architecture
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages ./packages
RUN npm ci --workspace @portico/data-service --include-workspace-root=false --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force

# ---- runtime
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8081 \
    DATA_SERVICE_PORT=8081 \
    DATA_DIR=/app/data
WORKDIR /app
COPY --from=deps /app/package.json ./package.json
COPY --from=deps /app/node_modules ./node_modules
COPY --from=deps /app/packages/data-service/package.json ./packages/data-service/package.json
COPY --from=build /app/packages/data-service/dist ./packages/data-service/dist
# The shared contract is a workspace link in node_modules: its package.json and build go beside it.
COPY --from=deps /app/packages/contract/package.json ./packages/contract/package.json
COPY --from=build /app/packages/contract/dist ./packages/contract/dist
# Local job state, leases and (without buckets) files and exports live under ./data; the runtime user must own it.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 8081
# node:22-slim has no curl: Node's own fetch checks the same endpoint the NLB uses.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.DATA_SERVICE_PORT || process.env.PORT || 8081) + '/v1/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
STOPSIGNAL SIGTERM
CMD ["node", "packages/data-service/dist/main.js"]
