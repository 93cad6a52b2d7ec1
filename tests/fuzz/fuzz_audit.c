/*
 * fuzz_audit.c - libFuzzer target for the audit-chain verifier on
 * arbitrary JSON-lines input: it must always finish with a verdict,
 * without leaks, and report a problem for anything that is not a clean
 * chain of well-formed events.
 */
#include <stddef.h>
#include <stdint.h>

#include "audit.h"
#include "buf.h"
#include "mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int init;
    if (!init) {
        dg_mem_init();
        init = 1;
    }
    struct audit *a = audit_new();
    /* Feed in two pieces to exercise the line splitting across calls. */
    size_t half = size / 2;
    audit_feed_bytes(a, (const char *)data, half);
    audit_feed_bytes(a, (const char *)data + half, size - half);
    audit_feed_eof(a);
    struct dg_buf report;
    dg_buf_init(&report, 1024 * 1024);
    struct audit_summary s;
    size_t problems = audit_finish(a, &report, 20, &s);
    if (problems != s.problems || (problems && report.len == 0))
        __builtin_trap();
    dg_buf_cleanup(&report);
    audit_free(a);
    return 0;
}
