/*
 * fuzz_decode.c - libFuzzer target for decode_message: any bytes must give
 * a record (valid or refused) that cleans up without leaks.
 */
#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int init;
    struct dg_record r;
    if (!init) {
        dg_mem_init();
        init = 1;
    }
    decode_message((const char *)data, size, &r);
    if (r.kind == DG_REC_INVALID && (!r.reason_code || !r.reason))
        __builtin_trap();
    decode_record_cleanup(&r);
    return 0;
}
