#ifndef DRGATE_DIGEST_H
#define DRGATE_DIGEST_H
/*
 * SHA-256 and hex/base64 helpers over OpenSSL EVP. Pure, no state.
 */
#include <stddef.h>

#define DG_SHA256_LEN 32
#define DG_SHA256_HEX_LEN 64

/* Aborts only if OpenSSL cannot provide SHA-256 at all. */
void digest_sha256(const void *data, size_t len,
                   unsigned char out[DG_SHA256_LEN]);
/* Lower-case hex of the digest, NUL-terminated. */
void digest_sha256_hex(const void *data, size_t len,
                       char out[DG_SHA256_HEX_LEN + 1]);
/* Lower-case hex of n bytes into out (2n+1 bytes). */
void digest_hex(const unsigned char *in, size_t n, char *out);

#endif
