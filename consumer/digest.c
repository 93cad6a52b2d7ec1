/*
 * digest.c - SHA-256 and hex encoding.
 */
#include "digest.h"

#include <stdio.h>
#include <stdlib.h>

#include <openssl/evp.h>

void
digest_sha256(const void *data, size_t len, unsigned char out[DG_SHA256_LEN])
{
    unsigned int n = 0;
    if (EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) != 1 ||
        n != DG_SHA256_LEN) {
        fprintf(stderr, "{\"level\":\"fatal\",\"msg\":\"SHA-256 failed\"}\n");
        abort();
    }
}

void
digest_hex(const unsigned char *in, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[in[i] >> 4];
        out[2 * i + 1] = hex[in[i] & 15];
    }
    out[2 * n] = '\0';
}

void
digest_sha256_hex(const void *data, size_t len, char out[DG_SHA256_HEX_LEN + 1])
{
    unsigned char md[DG_SHA256_LEN];
    digest_sha256(data, len, md);
    digest_hex(md, sizeof(md), out);
}
