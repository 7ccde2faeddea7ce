#!/usr/bin/env bash
# Makes a throwaway CA, a server certificate and client certificates for
# trying TLS (docs/server.md, "TLS"). Not for production: the keys are
# unencrypted and the CA key sits next to them.
#   scripts/make-test-certs.sh DIR [CLIENT_CN...]     (default client: alice)
# Writes DIR/ca.crt, DIR/server.{crt,key} (SAN: localhost, crous-server, crous-server-tls,
# 127.0.0.1) and DIR/<cn>.{crt,key} per client.
set -euo pipefail
dir=${1:?usage: $0 DIR [CLIENT_CN...]}
shift
clients=("${@:-alice}")
mkdir -p "$dir"
cd "$dir"
umask 077
days=30

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days "$days" \
  -keyout ca.key -out ca.crt -subj "/CN=crous test CA" 2>/dev/null

issue() {  # name subject extensions
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" -out "$1.csr" -subj "$2" 2>/dev/null
  printf '%b' "$3" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days "$days" \
    -out "$1.crt" -extfile "$1.ext" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}

issue server "/CN=localhost" \
  "subjectAltName=DNS:localhost,DNS:crous-server,DNS:crous-server-tls,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"
for cn in "${clients[@]}"; do
  issue "$cn" "/CN=$cn" "subjectAltName=DNS:$cn\nextendedKeyUsage=clientAuth\n"
done
# Readable by the image's crous user (uid 10001) when mounted into a container.
chmod 644 ./*.crt ./*.key
rm -f ca.srl
echo "made in $dir: ca.crt ca.key server.crt server.key ${clients[*]/%/.crt}"
