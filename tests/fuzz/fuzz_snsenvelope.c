/*
 * fuzz_snsenvelope.c - libFuzzer target for the SNS envelope checks: any
 * bytes that parse as JSON go through snsverify_string_to_sign,
 * snsverify_cert_url_ok on SigningCertURL and snsverify_check_signature
 * with the test signer's RSA key (tests/data/sns/signer.pem), so seeds
 * with valid signatures (tests/data/approval/make_seeds.py) reach the
 * verifying path. Invariant: a signature that verifies implies a string to
 * sign could be built.
 */
#include <stdint.h>
#include <stdlib.h>

#include <openssl/bio.h>
#include <openssl/pem.h>

#include "json.h"
#include "mem.h"
#include "snsverify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char signer_pub[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAxgpAZDjKUFrerhSv63RB\n"
    "c/mu223TJzYlqZv8C3pMK74WEd13fmXNyDasREjjnPCssx0sFngRS6cLNfqyQLCg\n"
    "qT1ITKieqcX9z085WvZHjCsGmBQUJ1AYjJxfbG6Vqb+fzMXbb+3WPGy9oObrR19U\n"
    "Zhsm6NDjmgQ7wUUov6qOkd6OavqzoQeea7dxYkgGgO8aG/jTJd9GiPVCBw+KlUiq\n"
    "SDaFM9rkfxgfYLA9JhAVcDam3692YQ6FihZB0X8OURv6FcyFGLnxgQM4OPAsozVT\n"
    "VqhyzCIz+vN0BKDmtfd9y4lUkYzxTmQVvppR7MO9CglAvuW1brFRJYEROV0nrhlc\n"
    "wQIDAQAB\n"
    "-----END PUBLIC KEY-----\n";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static EVP_PKEY *pub;
    if (!pub) {
        dg_mem_init();
        BIO *b = BIO_new_mem_buf(signer_pub, -1);
        pub = PEM_read_bio_PUBKEY(b, NULL, NULL, NULL);
        BIO_free(b);
        if (!pub)
            abort();
    }
    struct dg_err err;
    cJSON *env = dg_json_parse((const char *)data, size, DG_JSON_MAX_MESSAGE,
                               DG_JSON_MAX_DEPTH, &err);
    if (!env)
        return 0;
    struct dg_buf sts;
    dg_buf_init(&sts, DG_JSON_MAX_MESSAGE + 8192);
    dg_rc s = snsverify_string_to_sign(env, &sts, &err);
    (void)snsverify_cert_url_ok(dg_json_str(env, "SigningCertURL"),
                                "127.0.0.1:8443");
    dg_rc v = snsverify_check_signature(pub, env, &err);
    if (v == DG_OK && s != DG_OK)
        abort();
    dg_buf_cleanup(&sts);
    cJSON_Delete(env);
    return 0;
}
