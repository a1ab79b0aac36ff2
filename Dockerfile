# syntax=docker/dockerfile:1
# One image for every bitcrawl service; the command picks the service:
#   docker run bitcrawl worker | seeder | ingester | dashboard
# `crawl --once` also works, given a Redis (the image has no redis-server) and either
# --clickhouse URL or the embedded store in /app/data (a volume, writable by the node user):
#   docker run -v bitcrawl-data:/app/data bitcrawl crawl --once --redis redis://host:6379 --store /app/data

FROM node:20.19-bookworm-slim AS build
WORKDIR /app
# Only the manifests first, so this `npm ci` layer is rebuilt only when they change,
# not on every source edit. (The CLI's bin script is linked by npm ci, so it comes too.)
COPY package.json package-lock.json ./
COPY packages/config/package.json packages/config/
COPY packages/crawler/package.json packages/crawler/
COPY packages/geo/package.json packages/geo/
COPY packages/model/package.json packages/model/
COPY packages/protocol/package.json packages/protocol/
COPY packages/queue/package.json packages/queue/
COPY packages/servers/package.json packages/servers/
COPY packages/simnet/package.json packages/simnet/
COPY packages/storage/package.json packages/storage/
COPY packages/telemetry/package.json packages/telemetry/
COPY packages/testkit/package.json packages/testkit/
COPY services/cli/package.json services/cli/
COPY services/cli/bin services/cli/bin
COPY services/dashboard/package.json services/dashboard/
COPY services/ingester/package.json services/ingester/
COPY services/seeder/package.json services/seeder/
COPY services/stack/package.json services/stack/
COPY services/worker/package.json services/worker/
COPY test/package.json test/
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build --workspace=@bitcrawl/cli \
 && npm prune --omit=dev --no-audit --no-fund

FROM node:20.19-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/package.json ./
COPY --from=build /app/services/cli/dist services/cli/dist
COPY --from=build /app/infra/clickhouse/migrations infra/clickhouse/migrations
RUN mkdir -p /app/data && chown node:node /app/data
VOLUME ["/app/data"]
USER node
ENTRYPOINT ["node", "/app/services/cli/dist/bitcrawl.mjs"]
CMD ["--help"]
