/*
 * fuzz_credproc.c - libFuzzer target for the parsers of the
 * credential_process and SSO sources: the shlex split of a command line,
 * the process's JSON answer, the cached SSO token and the portal's
 * GetRoleCredentials answer.
 *
 * The first byte picks the parser; the rest is its input. Must never
 * crash, leak or read out of bounds, and a split always yields a
 * NULL-terminated vector of at least one word.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "credproc.h"
#include "mem.h"
#include "sso.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *in = (const char *)data + 1;
    size_t len = size - 1;
    struct dg_err err;
    dg_err_clear(&err);
    switch (data[0] & 3) {
    case 0: {
        char *s = dg_strndup(in, len); /* stops at a NUL, as a C string */
        char **argv = NULL;
        size_t argc = 0;
        if (credproc_split(s, &argv, &argc, &err) == DG_OK) {
            if (argc < 1 || argv[argc] != NULL)
                abort();
            for (size_t i = 0; i < argc; i++)
                (void)strlen(argv[i]);
            credproc_argv_free(argv);
        }
        char prog[64];
        credproc_program_name(s, prog, sizeof(prog));
        dg_free(s);
        break;
    }
    case 1: {
        struct aws_creds *c = NULL;
        if (credproc_parse(in, len, "process", &c, &err) == DG_OK)
            aws_creds_unref(c);
        break;
    }
    case 2: {
        char *tok = NULL;
        int64_t exp = 0;
        if (sso_token_parse(in, len, 1700000000000LL, &tok, &exp, &err) ==
            DG_OK)
            dg_free(tok);
        break;
    }
    default: {
        struct aws_creds *c = NULL;
        if (sso_parse_role_credentials(in, len, "sso", &c, &err) == DG_OK)
            aws_creds_unref(c);
        break;
    }
    }
    return 0;
}
