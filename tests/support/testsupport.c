/*
 * testsupport.c - helpers for the Check suites.
 */
#include "testsupport.h"

#include <stdio.h>
#include <stdlib.h>

#include "mem.h"

const char *
ts_data(const char *rel)
{
    static char path[4096];
    snprintf(path, sizeof(path), "%s/%s", DRGATE_TEST_DATA, rel);
    return path;
}

char *
ts_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) != 0) {
        fclose(f);
        return NULL;
    }
    long n = ftell(f);
    if (n < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return NULL;
    }
    char *buf = malloc((size_t)n + 1);
    if (!buf) {
        fclose(f);
        return NULL;
    }
    size_t got = fread(buf, 1, (size_t)n, f);
    fclose(f);
    buf[got] = '\0';
    if (len)
        *len = got;
    return buf;
}

int
ts_run(Suite *s)
{
    dg_mem_init();
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
