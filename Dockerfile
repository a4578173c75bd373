# syntax=docker/dockerfile:1
# The gatekeeper image, and the helper images of the compose demo, from one file:
#   runtime (default)  the service: production dependencies only, non-root, read-only code, health check
#   pki                the compose `pki` job and `ocsp` responder: runtime + openssl
#   tools              the compose `upstream` echo and `loadtest`: runtime + deploy/upstream, deploy/loadtest
#
#   docker build -t psd2-tpp-gatekeeper .
#   docker run --rm -v $PWD/my-config:/etc/gatekeeper:ro psd2-tpp-gatekeeper    # reads /etc/gatekeeper/config.yaml
#
# Pin NODE_IMAGE by digest in production (node:22-bookworm-slim@sha256:...), so a rebuild is reproducible.
ARG NODE_IMAGE=node:22-bookworm-slim

# --- build: TypeScript needs the dev dependencies; none of them leave this stage --------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# --- app: what the service needs at run time, owned by root so the service cannot change it ----------------------
FROM ${NODE_IMAGE} AS app
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: no install script of a dependency runs (none of the production ones needs one).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /src/dist/src ./dist/src
COPY proto ./proto
COPY policies ./policies
COPY config ./config
COPY deploy/healthcheck ./deploy/healthcheck

# --- pki: one-shot demo PKI job and openssl OCSP responder (docker-compose.yml only) -----------------------------
FROM app AS pki
RUN apt-get update \
  && apt-get install -y --no-install-recommends openssl \
  && rm -rf /var/lib/apt/lists/*
COPY deploy/pki ./deploy/pki
COPY deploy/ocsp ./deploy/ocsp
# The job runs as root once, to hand each key to the one uid that reads it (see deploy/pki/generate.sh);
# the ocsp service runs this image as node.
USER root

# --- tools: demo upstream and load generator (docker-compose.yml only) -------------------------------------------
FROM app AS tools
COPY deploy/upstream ./deploy/upstream
COPY deploy/loadtest ./deploy/loadtest
USER node

# --- runtime: the service --------------------------------------------------------------------------------------
FROM app AS runtime
# node (uid 1000) comes with the base image; nothing in /app is writable by it.
USER node
# 9191 gRPC ext_authz + grpc.health.v1; 9192 HTTP authorization mode (http.port); 9464 /metrics /healthz /readyz.
EXPOSE 9191 9192 9464
# Asks the service's own grpc.health.v1 on 127.0.0.1:9191; set GATEKEEPER_HEALTH_ADDRESS for another port.
HEALTHCHECK --interval=10s --timeout=5s --start-period=15s --retries=3 \
  CMD ["node", "deploy/healthcheck/grpc_health.mjs"]
# node is PID 1: the service handles SIGTERM itself (drains in-flight Checks for shutdown.graceSeconds).
ENTRYPOINT ["node", "dist/src/main.js"]
CMD ["/etc/gatekeeper/config.yaml"]
