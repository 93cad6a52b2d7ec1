/*
 * events.c - CloudEvents 1.0 construction and the audit hash chain.
 *
 * Pure: no clock, no randomness of its own, no I/O. Results are new cJSON
 * trees or strings the caller frees; errors come back through dg_err
 * (DG_EINVALID: the event cannot be written canonically, e.g. too large).
 */
#include "events.h"

#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "mem.h"
#include "timefmt.h"

void
events_uuid4(const unsigned char rnd[16], char out[EVENTS_UUID_LEN + 1])
{
    unsigned char b[16];
    memcpy(b, rnd, 16);
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[b[i] >> 4];
        out[o++] = hex[b[i] & 0x0f];
    }
    out[o] = '\0';
}

const char *
events_type_for_kind(const char *kind)
{
    if (!kind)
        return NULL;
    if (strcmp(kind, "decision") == 0)
        return EVENTS_DECISION_MADE;
    if (strcmp(kind, "plan") == 0)
        return EVENTS_PLAN_PROPOSED;
    if (strcmp(kind, "rejected") == 0)
        return EVENTS_INPUT_REJECTED;
    if (strcmp(kind, "reply") == 0)
        return EVENTS_COMMAND_REPLIED;
    return NULL;
}

cJSON *
events_new(const char *service, const char *type, const char *id,
           int64_t time_ms, const char *subject, cJSON *data)
{
    char when[DG_TIME_STR_LEN];
    timefmt_format(time_ms, when);
    cJSON *ev = cJSON_CreateObject();
    cJSON_AddStringToObject(ev, "specversion", "1.0");
    cJSON_AddStringToObject(ev, "id", id);
    char *src = dg_sprintf("drgate/%s", service);
    cJSON_AddStringToObject(ev, "source", src);
    dg_free(src);
    cJSON_AddStringToObject(ev, "type", type);
    cJSON_AddStringToObject(ev, "time", when);
    if (subject)
        cJSON_AddStringToObject(ev, "subject", subject);
    cJSON_AddStringToObject(ev, "datacontenttype", "application/json");
    cJSON_AddItemToObject(ev, "data", data ? data : cJSON_CreateObject());
    return ev;
}

dg_rc
events_hash(cJSON *ev, const char *prev, char out[DG_SHA256_HEX_LEN + 1],
            struct dg_err *err)
{
    if (!cJSON_IsObject(ev) || !prev || strlen(prev) != DG_SHA256_HEX_LEN)
        return dg_err_setc(err, DG_EINVALID, "bad_event",
                           "event: not an object or bad previous hash");
    /* Hash without drgatehash: detach it, hash, add it back (keys are
     * sorted when written, so its place in the tree does not matter). */
    cJSON *h = cJSON_DetachItemFromObjectCaseSensitive(ev, "drgatehash");
    struct dg_buf b;
    dg_buf_init(&b, EVENTS_MAX_JSON + DG_SHA256_HEX_LEN);
    dg_rc rc = dg_buf_add(&b, prev, DG_SHA256_HEX_LEN);
    if (rc == DG_OK)
        rc = dg_json_canonical(ev, &b);
    if (h)
        cJSON_AddItemToObject(ev, "drgatehash", h);
    if (rc == DG_OK)
        digest_sha256_hex(b.data, b.len, out);
    dg_buf_cleanup(&b);
    if (rc != DG_OK)
        return dg_err_setc(err, DG_EINVALID, "bad_event",
                           "event: cannot be written canonically (too large "
                           "or not finite)");
    return DG_OK;
}

char *
events_seal(cJSON *ev, int64_t seq, const char *prev,
            char hash_out[DG_SHA256_HEX_LEN + 1], struct dg_err *err)
{
    cJSON_DeleteItemFromObjectCaseSensitive(ev, "drgateseq");
    cJSON_DeleteItemFromObjectCaseSensitive(ev, "drgateprev");
    cJSON_DeleteItemFromObjectCaseSensitive(ev, "drgatehash");
    cJSON_AddNumberToObject(ev, "drgateseq", (double)seq);
    cJSON_AddStringToObject(ev, "drgateprev", prev);
    if (events_hash(ev, prev, hash_out, err) != DG_OK)
        return NULL;
    cJSON_AddStringToObject(ev, "drgatehash", hash_out);
    char *text = dg_json_canonical_str(ev, EVENTS_MAX_JSON);
    if (!text)
        dg_err_setc(err, DG_EINVALID, "bad_event",
                    "event: cannot be written canonically");
    return text;
}
