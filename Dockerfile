# One image for both processes: `npm run start:api` or `npm run start:worker`.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json turbo.json tsconfig.json ./
COPY apps/api/package.json apps/api/
COPY apps/worker/package.json apps/worker/
COPY packages/core/package.json packages/core/
COPY packages/db/package.json packages/db/
COPY packages/test-utils/package.json packages/test-utils/
# tsx runs the TypeScript sources directly, so the image keeps the dev dependencies.
RUN npm ci --include=dev --no-audit --no-fund
ENV NODE_ENV=production
COPY drizzle ./drizzle
COPY apps ./apps
COPY packages ./packages
COPY scripts ./scripts
USER node
EXPOSE 3000
CMD ["npm", "run", "start:api"]
