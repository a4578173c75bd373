#!/bin/sh
# The `pki` job of docker-compose.yml: writes everything the demo stack needs into one volume, once.
#
#   <out>/qtsp/   the demo QTSP (generate.mjs): root.pem, intermediates.pem, ca-bundle.pem (both, for Envoy),
#                 tpp-<name>.pem/.key for each demo TPP, including tpp-revoked
#   <out>/envoy/  Envoy's server certificate for api.bank.example and localhost (server.pem, server.key)
#                 and the separate demo bank server CA that signed it (server-ca.pem, for clients)
#   <out>/ocsp/   the OCSP responder: its certificate (issued by the demo issuing CA, EKU OCSPSigning,
#                 id-pkix-ocsp-nocheck), key, the CA it answers for (ca.pem) and openssl's index.txt
#
# Usage: sh deploy/pki/generate.sh [out-dir]   (default /pki). An existing complete run is kept, so the
# certificates stay stable across `docker compose up`; `docker compose down -v` starts over.
set -eu

OUT="${1:-/pki}"
HERE="$(cd "$(dirname "$0")" && pwd)"
# Owners of the files each consumer reads: Envoy's image runs as uid 101; the gatekeeper image as node (1000).
ENVOY_UID="${PKI_ENVOY_UID:-101}"
APP_UID="${PKI_APP_UID:-1000}"

if [ -f "$OUT/.complete" ]; then
  echo "pki: $OUT is complete, keeping it"
  exit 0
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
umask 077
rm -rf "$OUT/qtsp" "$OUT/envoy" "$OUT/ocsp"
mkdir -p "$OUT/qtsp" "$OUT/envoy" "$OUT/ocsp"

# --- the demo QTSP ------------------------------------------------------------------------------------------
node "$HERE/generate.mjs" "$OUT/qtsp" "$WORK/issuing-ca.key"
# awk, not cat: the PEM files end without a newline, and cat would glue END and BEGIN lines together.
awk 1 "$OUT/qtsp/root.pem" "$OUT/qtsp/intermediates.pem" > "$OUT/qtsp/ca-bundle.pem"

# --- Envoy's server certificate, from a CA of its own ----------------------------------------------------------
# The bank's server certificate has nothing to do with the QTSPs that certify TPPs; a separate CA keeps the
# two trust decisions apart (the TPP trusts server-ca.pem; Envoy trusts ca-bundle.pem for client certificates).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 -days 825 \
  -subj "/C=EU/O=Demo Bank/CN=Demo Bank Server CA" \
  -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -keyout "$WORK/server-ca.key" -out "$OUT/envoy/server-ca.pem" 2>/dev/null
cat > "$WORK/server.ext" <<EXT
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:api.bank.example, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EXT
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -subj "/C=EU/O=Demo Bank/CN=api.bank.example" \
  -keyout "$OUT/envoy/server.key" -out "$WORK/server.csr" 2>/dev/null
openssl x509 -req -in "$WORK/server.csr" -CA "$OUT/envoy/server-ca.pem" -CAkey "$WORK/server-ca.key" \
  -set_serial "0x$(openssl rand -hex 16)" -days 397 -sha256 -extfile "$WORK/server.ext" \
  -out "$OUT/envoy/server.pem" 2>/dev/null

# --- the OCSP responder certificate, issued by the demo issuing CA -----------------------------------------------
cat > "$WORK/responder.ext" <<EXT
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = critical, OCSPSigning
noCheck = ignored
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EXT
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -subj "/C=EU/O=Demo QTSP/CN=Demo QTSP OCSP Responder" \
  -keyout "$OUT/ocsp/responder.key" -out "$WORK/responder.csr" 2>/dev/null
openssl x509 -req -in "$WORK/responder.csr" -CA "$OUT/qtsp/intermediates.pem" -CAkey "$WORK/issuing-ca.key" \
  -set_serial "0x$(openssl rand -hex 16)" -days 365 -sha256 -extfile "$WORK/responder.ext" \
  -out "$OUT/ocsp/responder.pem" 2>/dev/null
cp "$OUT/qtsp/intermediates.pem" "$OUT/ocsp/ca.pem"

# --- openssl's index.txt: every demo TPP valid, tpp-revoked revoked (keyCompromise) ---------------------------
# Columns (tab-separated): status, expiry, revocation[,reason], serial, file, subject. `openssl ocsp` looks
# certificates up by serial, printed here by openssl itself so the format is the one it expects.
REVOKED_AT="$(date -u +%y%m%d%H%M%SZ)"
: > "$OUT/ocsp/index.txt"
for cert in "$OUT"/qtsp/tpp-*.pem; do
  serial="$(openssl x509 -in "$cert" -noout -serial | sed 's/^serial=//')"
  expiry="$(openssl x509 -in "$cert" -noout -enddate -dateopt iso_8601 |
    sed 's/^notAfter=..\(..\)-\(..\)-\(..\) \(..\):\(..\):\(..\)Z$/\1\2\3\4\5\6Z/')"
  subject="$(openssl x509 -in "$cert" -noout -subject -nameopt compat | sed 's/^subject=//')"
  if [ "$(basename "$cert")" = "tpp-revoked.pem" ]; then
    printf 'R\t%s\t%s,keyCompromise\t%s\tunknown\t%s\n' "$expiry" "$REVOKED_AT" "$serial" "$subject"
  else
    printf 'V\t%s\t\t%s\tunknown\t%s\n' "$expiry" "$serial" "$subject"
  fi >> "$OUT/ocsp/index.txt"
done

# --- permissions: certificates world-readable, each key readable by its one consumer only -----------------------
chmod 755 "$OUT" "$OUT/qtsp" "$OUT/envoy" "$OUT/ocsp"
chmod 644 "$OUT"/qtsp/*.pem "$OUT"/envoy/*.pem "$OUT"/ocsp/*.pem "$OUT/ocsp/index.txt"
chmod 600 "$OUT"/qtsp/*.key "$OUT"/envoy/*.key "$OUT"/ocsp/*.key
if [ "$(id -u)" = 0 ]; then
  chown -R "$ENVOY_UID:$ENVOY_UID" "$OUT/envoy"
  chown -R "$APP_UID:$APP_UID" "$OUT/qtsp" "$OUT/ocsp"
fi

touch "$OUT/.complete"
echo "pki: complete in $OUT"
