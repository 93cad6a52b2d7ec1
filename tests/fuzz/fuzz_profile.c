/*
 * fuzz_profile.c - libFuzzer target for the shared config / credentials
 * parser and profile resolution.
 *
 * The first byte picks the file kind; the rest is the file. A successful
 * parse is queried for a few profiles and keys and resolved as an
 * assume-role profile (exercising source_profile chains and cycle
 * detection). Must never crash, leak or read out of bounds.
 */
#include <stdint.h>
#include <string.h>

#include "profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const profiles[] = {"default", "a", "b", "dev", ""};
    static const char *const keys[] = {"aws_access_key_id", "role_arn",
                                       "source_profile", "s3", "k"};
    if (size < 1)
        return 0;
    enum profile_kind kind =
        (data[0] & 1) ? PROFILE_CONFIG : PROFILE_CREDENTIALS;
    struct profile_file *f = NULL;
    struct dg_err err;
    if (profile_file_parse((const char *)data + 1, size - 1, kind, &f, &err) !=
        DG_OK)
        return 0;
    for (size_t i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++) {
        (void)profile_file_has(f, profiles[i]);
        for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
            const char *v = profile_file_get(f, profiles[i], keys[k]);
            if (v)
                (void)strlen(v);
        }
        struct profile_plan plan = {0};
        const struct profile_file *cfg = kind == PROFILE_CONFIG ? f : NULL;
        const struct profile_file *cr = kind == PROFILE_CONFIG ? NULL : f;
        if (profile_is_assume_role(cfg, cr, profiles[i]) &&
            profile_resolve_role(cfg, cr, profiles[i], &plan, &err) == DG_OK)
            profile_plan_cleanup(&plan);
        if (profile_resolve_plain(cfg, cr, profiles[i], &plan, &err) == DG_OK)
            profile_plan_cleanup(&plan);
        else
            profile_plan_cleanup(&plan);
    }
    profile_file_free(f);
    return 0;
}
