#!/usr/bin/env bash
# Certificates with openssl (sourced): the proxy's local CA and server certificate
# (scripts/generate-ssl.sh) and pgBackRest's CA and certificates (scripts/generate-pgbackrest-certs.sh).
# P-256 keys and SHA-256 signatures throughout; openssl's chatter goes nowhere, its exit status counts.

# cert_new_ca KEY CERT DAYS NAME [-addext EXTENSION]...: a self-signed CA that signs leaf certificates
# only (pathlen 0), named "NAME <UTC time>" so a replaced CA is told apart in a trust store.
cert_new_ca() {
  local key=$1 cert=$2 days=$3 name=$4
  shift 4
  openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
    -keyout "$key" -out "$cert" -days "$days" -sha256 \
    -subj "/O=TaskPlatform/CN=$name $(date -u +%Y-%m-%dT%H%M%SZ)" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" "$@" 2>/dev/null
}

# cert_new_request KEY CSR CN: a new key and a certificate request for it.
cert_new_request() {
  openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
    -keyout "$1" -out "$2" -subj "/O=TaskPlatform/CN=$3" 2>/dev/null
}

# cert_sign CA_DIR SERIAL CSR EXTFILE DAYS OUT: OUT is the certificate that CA_DIR's ca.crt and ca.key
# issue for CSR with the extensions in EXTFILE (SERIAL: the serial number file, created if missing).
cert_sign() {
  openssl x509 -req -in "$3" -CA "$1/ca.crt" -CAkey "$1/ca.key" -CAserial "$2" -CAcreateserial \
    -out "$6" -days "$5" -sha256 -extfile "$4" 2>/dev/null
}
