#!/bin/sh
# Regenerates the SNS test chain fixtures (test-only; never trusted outside
# tests), shaped like AWS's: a root (what the system store holds: Amazon
# Root CA 1), an intermediate (like "Amazon RSA 2048 M02", which the store
# does not hold and the SigningCertURL PEM does not carry) and leaves it
# issued. The leaves reuse signer.key (make.sh) so the tests' envelopes
# verify with them; chainweak uses its own RSA-1024 key. Valid for 100
# years except chainexpired (1 day: expired at the tests' 2030 clock).
set -eu
cd "$(dirname "$0")"
days=36500
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$t/root.key" -out chainroot.pem \
    -days $days -subj "/C=US/O=drgate test/CN=drgate test SNS root" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
openssl req -newkey rsa:2048 -nodes -keyout "$t/int.key" -out "$t/int.csr" \
    -subj "/C=US/O=drgate test/CN=drgate test RSA 2048 M01"
printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign,digitalSignature\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' > "$t/int.ext"
openssl x509 -req -in "$t/int.csr" -CA chainroot.pem -CAkey "$t/root.key" \
    -CAcreateserial -CAserial "$t/root.srl" -out chainint.pem -days $days -extfile "$t/int.ext"
leaf() { # out key cn days extra-extensions
    openssl req -new -key "$2" -out "$t/leaf.csr" -subj "/CN=$3"
    printf 'subjectAltName=DNS:%s\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n%s\n' "$3" "$5" > "$t/leaf.ext"
    openssl x509 -req -in "$t/leaf.csr" -CA chainint.pem -CAkey "$t/int.key" \
        -CAcreateserial -CAserial "$t/int.srl" -out "$1" -days "$4" -extfile "$t/leaf.ext"
}
ok='basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth,clientAuth'
leaf chainleaf.pem signer.key sns.amazonaws.com $days "$ok"
leaf chaincn.pem signer.key sns.amazonaws.com.cn $days "$ok"
leaf chainexpired.pem signer.key sns.amazonaws.com 1 "$ok"
leaf chainwrongname.pem signer.key sns.amazonaws.com.evil.example $days "$ok"
leaf chainca.pem signer.key sns.amazonaws.com $days \
    'basicConstraints=critical,CA:TRUE
keyUsage=critical,digitalSignature'
leaf chainnoku.pem signer.key sns.amazonaws.com $days \
    'basicConstraints=critical,CA:FALSE
keyUsage=critical,keyEncipherment'
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out chainweak.key
leaf chainweak.pem chainweak.key sns.amazonaws.com $days "$ok"
# Self-signed, otherwise a well-formed leaf (CA:FALSE, digitalSignature).
openssl req -new -key signer.key -out "$t/self.csr" -subj "/CN=sns.amazonaws.com"
printf 'subjectAltName=DNS:sns.amazonaws.com\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n' > "$t/self.ext"
openssl x509 -req -in "$t/self.csr" -signkey signer.key -out selfleaf.pem \
    -days $days -extfile "$t/self.ext"
