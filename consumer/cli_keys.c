/*
 * cli_keys.c - drgate keygen: Ed25519 approver key pairs.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "cli_internal.h"
#include "mem.h"

/* Writes a PEM file that must not exist yet. */
static int
write_pem(const char *path, mode_t mode, EVP_PKEY *key, int private_key)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) {
        fprintf(stderr, "drgate keygen: %s: %s%s\n", path, strerror(errno),
                errno == EEXIST ? " (refusing to overwrite)" : "");
        return -1;
    }
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        return -1;
    }
    int ok = private_key
                 ? PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL)
                 : PEM_write_PUBKEY(f, key);
    if (fclose(f) != 0 || ok != 1) {
        fprintf(stderr, "drgate keygen: %s: write failed\n", path);
        return -1;
    }
    return 0;
}

int
cli_cmd_keygen(int argc, char **argv)
{
    static const struct option opts[] = {
        {"out", required_argument, NULL, 'o'},
        {"config", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *prefix = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "o:c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o':
            prefix = optarg;
            break;
        case 'c':
            break; /* accepted for uniformity; keygen needs no config */
        case 'h':
            printf("usage: drgate keygen --out PREFIX\n"
                   "Writes an Ed25519 approver key pair: PREFIX.key "
                   "(private, mode 0600) and PREFIX.pub.\n"
                   "Refuses to overwrite either file.\n");
            return 0;
        default:
            return cli_usage_error("keygen", "unknown option");
        }
    }
    if (!prefix || optind != argc)
        return cli_usage_error("keygen", "--out PREFIX is required");
    char *priv = dg_sprintf("%s.key", prefix);
    char *pub = dg_sprintf("%s.pub", prefix);
    int status = 1;
    EVP_PKEY *key = NULL;
    if (access(priv, F_OK) == 0 || access(pub, F_OK) == 0) {
        fprintf(stderr,
                "drgate keygen: %s or %s exists; refusing to "
                "overwrite\n",
                priv, pub);
        goto out;
    }
    key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    if (!key) {
        fprintf(stderr, "drgate keygen: key generation failed\n");
        goto out;
    }
    if (write_pem(priv, 0600, key, 1) != 0)
        goto out;
    if (write_pem(pub, 0644, key, 0) != 0) {
        (void)unlink(priv);
        goto out;
    }
    printf("wrote %s (private, keep it secret) and %s (public: put it in "
           "approval.approvers)\n",
           priv, pub);
    status = 0;
out:
    EVP_PKEY_free(key);
    dg_free(priv);
    dg_free(pub);
    return status;
}
