# One image for both processes: `npm run start:api` or `npm run start:worker`.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json turbo.json tsconfig.json ./
COPY apps/api/package.json apps/api/
COPY apps/worker/package.json apps/worker/
COPY packages/core/package.json packages/core/
COPY packages/db/package.json packages/db/
COPY packages/test-utils/package.json packages/test-utils/
RUN npm ci --no-audit --no-fund
COPY drizzle ./drizzle
COPY apps ./apps
COPY packages ./packages
COPY scripts ./scripts
USER node
EXPOSE 3000
CMD ["npm", "run", "start:api"]
