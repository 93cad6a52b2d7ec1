/*
 * fuzz_config.c - libFuzzer target for config_parse.
 *
 * Feeds arbitrary bytes to config_parse with tests/data/config as the
 * config directory (found from this file's path, so valid inputs reach the
 * runbook checks and the typed model) and frees everything. Must never
 * crash or leak; a successful parse is also dumped and freed.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* <source>/tests/fuzz/fuzz_config.c -> <source>/tests/data/config */
static const char *
data_dir(void)
{
    static char dir[4096];
    if (!dir[0]) {
        const char *self = __FILE__;
        const char *slash = strrchr(self, '/');
        if (slash)
            snprintf(dir, sizeof(dir), "%.*s/../data/config",
                     (int)(slash - self), self);
        else
            snprintf(dir, sizeof(dir), "../data/config");
    }
    return dir;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dg_buf errors;
    dg_buf_init(&errors, 64 * 1024);
    struct dg_config *cfg = NULL;
    if (config_parse((const char *)data, size, "fuzz.json", data_dir(), &cfg,
                     &errors) == DG_OK) {
        struct dg_buf dump;
        dg_buf_init(&dump, 1024 * 1024);
        (void)config_dump_redacted(cfg, &dump);
        dg_buf_cleanup(&dump);
    }
    config_free(cfg);
    dg_buf_cleanup(&errors);
    return 0;
}
