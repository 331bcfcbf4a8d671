# syntax=docker/dockerfile:1
# One multi-stage, non-root image recipe for every Crest app; pick the app with --build-arg APP=<name>
# (feed-api, event-ingestor, ranking-service, admin). docker-compose.yml builds each app from it.
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# npm ci applies them (postinstall: patch-package); see patches/README.md.
COPY patches ./patches
RUN npm ci --no-audit --no-fund
COPY . .
ARG APP
RUN test -n "$APP" || (echo "set --build-arg APP=<feed-api|event-ingestor|ranking-service|admin>" && exit 1)
RUN NX_DAEMON=false NX_NO_CLOUD=true npx nx run "${APP}:build" --outputStyle=static \
 && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim AS runtime
ARG APP
ENV NODE_ENV=production HOST=0.0.0.0 LOG_FORMAT=json
WORKDIR /app
COPY --from=build --chown=node:node /src/node_modules ./node_modules
COPY --from=build --chown=node:node /src/package.json ./package.json
COPY --from=build --chown=node:node /src/dist/apps/${APP} ./dist
# The pull model's migrations and Query Lambdas, read at runtime (CREST_SQL_DIR).
COPY --from=build --chown=node:node /src/libs/retrieval/src/lib/sql ./sql
ENV CREST_SQL_DIR=/app/sql
USER node
HEALTHCHECK --interval=10s --timeout=3s --retries=5 CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT)+'/health').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"
CMD ["node", "dist/main.js"]
