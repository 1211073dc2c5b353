# syntax=docker/dockerfile:1
# GopherQueue: `gq serve` with the embedded store in the volume /data, HTTP on :8080.
#
#   docker build -t gopherqueue .
#   docker run -d --name gopherqueue -p 8080:8080 -v gq-data:/data --stop-timeout 45 gopherqueue
#   docker exec gopherqueue gq keys create --role admin     # a key for callers outside the container
#
# `gq serve` drains running jobs for up to --shutdown-timeout (30s) on SIGTERM: give `docker stop`
# more than that (--stop-timeout 45, or stop_grace_period: 45s in compose), else it is killed
# mid-drain and the interrupted jobs run again after the restart.

# ---- build: install with pnpm, compile, and gather gq with its production dependencies only ----
FROM node:20-bookworm-slim AS build
RUN npm install --global pnpm@12.4.2
WORKDIR /src
# The lockfile alone fetches every dependency, so this layer is reused until the lockfile changes.
COPY pnpm-lock.yaml pnpm-workspace.yaml ./
RUN pnpm fetch
COPY . .
RUN pnpm install --offline --frozen-lockfile \
 && pnpm build \
 && pnpm --filter gq deploy --prod /out

# ---- run: compiled code and production dependencies, as the unprivileged user `node` ----
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /opt/gopherqueue
COPY --from=build /out ./
COPY LICENSE ./
RUN printf '#!/bin/sh\nexec node /opt/gopherqueue/bin/gq.js "$@"\n' > /usr/local/bin/gq \
 && chmod 755 /usr/local/bin/gq \
 && mkdir /data \
 && chown node:node /data
USER node
# The data directory: one container (one process) owns it at a time.
VOLUME ["/data"]
EXPOSE 8080
# /ready answers 200 once the store is open and startup recovery ran, 503 while the store does not
# answer. It needs no key. (Change the port here too if you change --http.)
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["gq"]
CMD ["serve", "--http", ":8080", "--data-dir", "/data", "--shutdown-timeout", "30s", "--log-format", "json"]
