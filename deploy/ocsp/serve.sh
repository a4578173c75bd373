#!/bin/sh
# Entry point of the `ocsp` service of docker-compose.yml: openssl's OCSP responder for the demo issuing CA,
# answering from the index.txt the `pki` job wrote (tpp-revoked is revoked, every other demo TPP is good).
#
# Usage: sh deploy/ocsp/serve.sh [pki-dir] [port]   (defaults /pki, 8080)
#
# Answers are signed by a delegated responder certificate (EKU OCSPSigning, id-pkix-ocsp-nocheck) issued
# by the CA itself, the arrangement RFC 6960 4.2.2.2 describes and most QTSPs use. nextUpdate is now +
# OCSP_NEXT_UPDATE_MINUTES, which bounds how long the gatekeeper may cache an answer.
# One process, no `-multi`: its forking parent ignores SIGTERM until a worker exits, so `docker compose stop`
# would wait for SIGKILL. One process is plenty here, as the gatekeeper caches answers until nextUpdate.
# `-ignore_err` keeps the responder up after a malformed request instead of exiting.
set -eu

PKI="${1:-/pki}"
PORT="${2:-8080}"

exec openssl ocsp \
  -index "$PKI/ocsp/index.txt" \
  -CA "$PKI/ocsp/ca.pem" \
  -rsigner "$PKI/ocsp/responder.pem" \
  -rkey "$PKI/ocsp/responder.key" \
  -port "$PORT" \
  -nmin "${OCSP_NEXT_UPDATE_MINUTES:-10}" \
  -ignore_err
