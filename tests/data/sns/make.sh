#!/bin/sh
# Regenerates the SNS test PKI (test-only; never trusted outside tests):
# a CA, a signing certificate naming sns.amazonaws.com as AWS's do, one
# with another name, and a self-signed one. Valid for 100 years.
set -eu
cd "$(dirname "$0")"
days=36500
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem \
    -days $days -subj "/C=US/O=drgate test/CN=drgate test SNS CA" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
leaf() { # name cn
    openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "/CN=$2"
    printf 'subjectAltName=DNS:%s\nkeyUsage=critical,digitalSignature\nbasicConstraints=CA:FALSE\n' "$2" > "$1.ext"
    openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial \
        -out "$1.pem" -days $days -extfile "$1.ext"
    rm -f "$1.csr" "$1.ext"
}
leaf signer sns.amazonaws.com
leaf wrongname sns.example.com
openssl req -x509 -newkey rsa:2048 -nodes -keyout selfsigned.key -out selfsigned.pem \
    -days $days -subj "/CN=sns.amazonaws.com" -addext subjectAltName=DNS:sns.amazonaws.com
rm -f ca.srl ca.key wrongname.key selfsigned.key
