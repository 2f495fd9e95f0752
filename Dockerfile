# syntax=docker/dockerfile:1
# platform-api image: build with the full toolchain, run with production dependencies only,
# as the numeric non-root user 1001 (the chart's runAsUser), on a read-only root filesystem.
# The base image is pinned by digest in a FROM line Dependabot (docker ecosystem) keeps current:
# every build of a commit starts from the same bytes, and an update is a reviewed pull request.
FROM node:24-alpine@sha256:d32cdf619f63fe0471182d08996dd516c6275bb5fd31ae06e55a570bd9e1ad43 AS base

FROM base AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY nest-cli.json tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts/bundle.ts ./scripts/
RUN npm run build

FROM base AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM base AS runtime
# No heap flags: the app gives back the young generation boot grew by itself (trim-heap.ts), so the
# image runs as bench/boot.bench.ts measures it. The compile cache lives in /tmp (an emptyDir).
ENV NODE_ENV=production \
    PORT=3000 \
    HOST=0.0.0.0
WORKDIR /app
# Root-owned and read-only for the app user: nothing in /app is written at run time (/tmp is).
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
USER 1001:1001
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# node as PID 1 gets SIGTERM directly: main.ts drains (SHUTDOWN_DELAY_MS) and closes.
CMD ["node", "dist/main.js"]
