# One image for both processes: the API by default, the worker with
#   command: ["node", "apps/worker/dist/main.js"]
# and the one-shot migration with apps/api/dist/migrate.js.
ARG NODE_IMAGE=node:24-bookworm-slim

# Build: every dependency, the TypeScript compiler, then `tsc -b` into each package's dist/.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json turbo.json tsconfig.json tsconfig.build.base.json ./
COPY apps/api/package.json apps/api/
COPY apps/worker/package.json apps/worker/
COPY packages/core/package.json packages/core/
COPY packages/db/package.json packages/db/
COPY packages/test-utils/package.json packages/test-utils/
COPY packages/cli/package.json packages/cli/
COPY packages/client/package.json packages/client/
RUN npm ci --no-audit --no-fund
COPY apps ./apps
COPY packages ./packages
RUN npm run build

# Runtime: production dependencies only (no compiler, test runner, linter or tsx), the compiled
# JavaScript and the migrations, run by an unprivileged user under an init process.
FROM ${NODE_IMAGE} AS runtime
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini \
  && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
COPY apps/api/package.json apps/api/
COPY apps/worker/package.json apps/worker/
COPY packages/core/package.json packages/core/
COPY packages/db/package.json packages/db/
# Listed so the lockfile's workspaces match; its dependencies are all dev-only and not installed.
COPY packages/test-utils/package.json packages/test-utils/
# --omit=optional keeps out the optional peers the dev tree put in the lockfile (typescript for
# valibot, @types/*); it also drops msgpackr's optional native decoder, and msgpackr (BullMQ's) then
# uses its JavaScript one.
RUN npm ci --omit=dev --omit=optional --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/packages/db/dist packages/db/dist
COPY --from=build /app/packages/core/dist packages/core/dist
COPY --from=build /app/apps/api/dist apps/api/dist
COPY --from=build /app/apps/worker/dist apps/worker/dist
COPY drizzle ./drizzle
USER node
EXPOSE 3000
# tini is PID 1: it passes SIGTERM on to node and reaps children, so shutdowns are graceful.
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "apps/api/dist/server.js"]
