# syntax=docker/dockerfile:1
# One image for every bitcrawl service; the command picks the service:
#   docker run bitcrawl worker | seeder | ingester | dashboard | crawl --once ...

FROM node:20.19-bookworm-slim AS build
WORKDIR /app
# Manifests first so the dependency layer is cached until the lockfile changes.
COPY package.json package-lock.json ./
COPY packages/ packages/
COPY services/ services/
COPY test/package.json test/package.json
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
USER node
ENTRYPOINT ["node", "/app/services/cli/dist/bitcrawl.mjs"]
CMD ["--help"]
