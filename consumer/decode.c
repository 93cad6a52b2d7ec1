/*
 * decode.c - one raw message in, one normalized record out.
 *
 * What: parses a message with dg_json_parse (size, depth and duplicate-key
 * bounds), unwraps an optional SNS envelope, recognizes one of the shapes of
 * ARCHITECTURE.md section 3 and fills a struct dg_record. Pure: no I/O, no
 * clock, no globals; the only time used is the one written in the message.
 *
 * Ownership: every string and cJSON tree in the record is owned by it and
 * freed by decode_record_cleanup(). The SNS envelope's parse tree moves into
 * r->sns as is; everything else is copied, so the record outlives the input.
 *
 * Errors: never through a return value. A refused message becomes a record
 * of kind DG_REC_INVALID with reason_code (a short stable code, see the list
 * in decode_message's comment below) and reason, which names the JSON
 * pointer of the offending value and what was expected. Inside an SNS
 * envelope the pointer is prefixed with "/Message" (the pointer then goes
 * into the decoded Message string). The first refusal wins; the signal,
 * command or approval fields filled so far are freed, while event_id,
 * envelope and sns stay for the rejection event.
 *
 * DESIGN: recognition is by distinguishing keys, in this order: SNS
 * envelope (Type plus MessageId or TopicArn), EventBridge (source and
 * detail-type), drgate's own "type" ("drgate.probe", "drgate.approval"),
 * classic SNS alarm notification (AlarmName or NewStateValue), seed 000
 * command (Action), seed 001 runbook (StatePayload). Once a shape is
 * recognized, a missing or wrong field is reported as such rather than as
 * an unknown shape. Every string taken from the message is length-checked
 * and must be valid UTF-8, so downstream JSON writers can copy it as is.
 *
 * Times: the record's time_ms is the state's own timestamp. CloudWatch
 * (EventBridge): detail.state.timestamp, else the event's time. CloudWatch
 * (SNS): StateChangeTime. AWS Health: detail.lastUpdatedTime, else endTime
 * for a closed event, else startTime, else the event's time; Health writes
 * these as HTTP dates ("Fri, 27 Jan 2023 06:02:51 GMT") and ISO 8601 is
 * accepted too. Probe: time. The first of these that is present must parse.
 */
#include "decode.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "json.h"
#include "mem.h"
#include "timefmt.h"

/* String bounds (bytes). */
#define NAME_MAX_LEN 255     /* alarm names, probe names, event type codes */
#define ID_MAX_LEN 256       /* event ids, message ids, cluster ids, plan ids */
#define ARN_MAX_LEN 1024     /* alarm, health event and topic ARNs */
#define DETAIL_MAX_LEN 4096  /* state reasons, probe details */
#define SERVICE_MAX_LEN 64   /* health service ("RDS") */
#define TYPE_MAX_LEN 128     /* resourceType, detail-type, source */
#define RESNAME_MAX_LEN 1024 /* resourceName */
#define APPROVER_MAX_LEN 128
#define SIGNATURE_MAX_LEN 200
#define TOKEN_MIN_LEN 43
#define TOKEN_MAX_LEN 64
#define TIME_MAX_LEN 64

/* How much of an offending value a reason quotes. */
#define SHOW_BYTES 48
#define SHOW_BUF (SHOW_BYTES * 4 + 8)

struct dctx {
    struct dg_record *r;
    const char *pfx;        /* JSON pointer prefix: "" or "/Message" */
    const char *message_id; /* SNS MessageId when enveloped, else NULL */
};

/* ---- names ------------------------------------------------------------ */

const char *
decode_kind_name(enum dg_rec_kind kind)
{
    switch (kind) {
    case DG_REC_INVALID:
        return "invalid";
    case DG_REC_SIGNAL:
        return "signal";
    case DG_REC_COMMAND:
        return "command";
    case DG_REC_APPROVAL:
        return "approval";
    }
    return "?";
}

const char *
decode_source_name(enum dg_sig_source source)
{
    switch (source) {
    case DG_SRC_CLOUDWATCH:
        return "cloudwatch";
    case DG_SRC_HEALTH:
        return "aws.health";
    case DG_SRC_PROBE:
        return "probe";
    }
    return "?";
}

const char *
decode_state_name(enum dg_sig_state state)
{
    switch (state) {
    case DG_STATE_OK:
        return "OK";
    case DG_STATE_ALARM:
        return "ALARM";
    case DG_STATE_INSUFFICIENT:
        return "INSUFFICIENT_DATA";
    }
    return "?";
}

const char *
decode_action_name(enum dg_cmd_action action)
{
    switch (action) {
    case DG_CMD_FAILOVER:
        return "failover";
    case DG_CMD_FAILBACK:
        return "failback";
    case DG_CMD_STATUS:
        return "status";
    case DG_CMD_VALIDATE:
        return "validate";
    case DG_CMD_RUNBOOK:
        return "runbook";
    }
    return "?";
}

/* ---- regions and ARNs ------------------------------------------------- */

static int
is_lower(char c)
{
    return c >= 'a' && c <= 'z';
}

static int
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

int
decode_region_valid(const char *s)
{
    if (!s)
        return 0;
    size_t n = strlen(s);
    if (n < 6 || n > DECODE_REGION_MAX)
        return 0;
    if (!is_lower(s[0]) || !is_lower(s[1]) || s[2] != '-')
        return 0;
    /* Words after the first: letters, the last one digits (1 or 2). */
    int words = 1;
    const char *p = s + 3;
    for (;;) {
        const char *w = p;
        while (*p && *p != '-')
            p++;
        size_t wl = (size_t)(p - w);
        if (wl == 0)
            return 0;
        words++;
        int last = *p == '\0';
        for (const char *q = w; q < p; q++)
            if (last ? !is_digit(*q) : !is_lower(*q))
                return 0;
        if (last)
            return words >= 3 && wl <= 2;
        p++;
    }
}

int
decode_region_from_arn(const char *arn, char *out, size_t outlen)
{
    char region[DECODE_REGION_MAX + 1];
    if (out && outlen)
        out[0] = '\0';
    if (!arn || !out || strncmp(arn, "arn:", 4) != 0)
        return -1;
    const char *part = arn + 4, *p = part;
    while (is_lower(*p) || *p == '-')
        p++;
    if (p == part || *p != ':')
        return -1;
    const char *svc = ++p;
    while (*p && *p != ':')
        p++;
    if (p == svc || *p != ':')
        return -1;
    const char *reg = ++p;
    while (*p && *p != ':')
        p++;
    if (*p != ':')
        return -1; /* no account field: not a full ARN */
    size_t n = (size_t)(p - reg);
    if (n == 0 || n > DECODE_REGION_MAX)
        return -1;
    memcpy(region, reg, n);
    region[n] = '\0';
    if (!decode_region_valid(region) || n + 1 > outlen)
        return -1;
    memcpy(out, region, n + 1);
    return 0;
}

/* ---- refusals --------------------------------------------------------- */

static void
free_payload(struct dg_record *r)
{
    switch (r->kind) {
    case DG_REC_SIGNAL:
        dg_free(r->u.sig.name);
        dg_free(r->u.sig.region);
        dg_free(r->u.sig.service);
        dg_free(r->u.sig.arn);
        dg_free(r->u.sig.detail);
        break;
    case DG_REC_COMMAND:
        dg_free(r->u.cmd.global_cluster);
        dg_free(r->u.cmd.target_cluster);
        cJSON_Delete(r->u.cmd.state_payload);
        break;
    case DG_REC_APPROVAL:
        dg_free(r->u.appr.plan_id);
        dg_free(r->u.appr.plan_digest);
        dg_free(r->u.appr.decision);
        dg_free(r->u.appr.token);
        dg_free(r->u.appr.approver);
        dg_free(r->u.appr.signed_at);
        dg_free(r->u.appr.signature);
        cJSON_Delete(r->u.appr.body);
        break;
    case DG_REC_INVALID:
        break;
    }
    memset(&r->u, 0, sizeof(r->u));
}

void
decode_record_cleanup(struct dg_record *r)
{
    if (!r)
        return;
    free_payload(r);
    dg_free(r->event_id);
    dg_free(r->envelope);
    cJSON_Delete(r->sns);
    dg_free(r->reason_code);
    dg_free(r->reason);
    memset(r, 0, sizeof(*r));
}

/* Refuses the message: code, and a reason "<pfx><path>: <fmt...>" (just
 * "<fmt...>" at the root). Only the first refusal counts. Returns -1. */
static int refuse(struct dctx *c, const char *code, const char *path,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
refuse(struct dctx *c, const char *code, const char *path, const char *fmt, ...)
{
    struct dg_record *r = c->r;
    char msg[512];
    if (r->reason_code)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    free_payload(r);
    r->kind = DG_REC_INVALID;
    r->reason_code = dg_strdup(code);
    if (path && *path)
        r->reason = dg_sprintf("%s%s: %s", c->pfx, path, msg);
    else if (*c->pfx)
        r->reason = dg_sprintf("%s: %s", c->pfx, msg);
    else
        r->reason = dg_strdup(msg);
    return -1;
}

/* Quotes up to SHOW_BYTES of s for a reason: JSON-style escapes, bytes
 * outside printable ASCII as \xNN, "..." when cut. Returns buf. */
static const char *
show(const char *s, char buf[SHOW_BUF])
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0, i;
    buf[o++] = '"';
    for (i = 0; s[i] && i < SHOW_BYTES; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\') {
            buf[o++] = '\\';
            buf[o++] = (char)ch;
        } else if (ch < 0x20 || ch >= 0x7f) {
            buf[o++] = '\\';
            buf[o++] = 'x';
            buf[o++] = hex[ch >> 4];
            buf[o++] = hex[ch & 15];
        } else {
            buf[o++] = (char)ch;
        }
    }
    if (s[i]) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o++] = '"';
    buf[o] = '\0';
    return buf;
}

static const char *
type_name(const cJSON *v)
{
    if (!v)
        return "nothing";
    if (cJSON_IsNull(v))
        return "null";
    if (cJSON_IsBool(v))
        return "a boolean";
    if (cJSON_IsNumber(v))
        return "a number";
    if (cJSON_IsString(v))
        return "a string";
    if (cJSON_IsArray(v))
        return "an array";
    if (cJSON_IsObject(v))
        return "an object";
    return "an invalid value";
}

/* ---- typed field access ----------------------------------------------- */

/* 1 when s[0..n) is well-formed UTF-8 (no overlongs, surrogates or code
 * points past U+10FFFF). */
static int
utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char b = s[i];
        size_t extra;
        unsigned cp;
        if (b < 0x80) {
            i++;
            continue;
        } else if (b >= 0xc2 && b <= 0xdf) {
            extra = 1;
            cp = b & 0x1f;
        } else if (b >= 0xe0 && b <= 0xef) {
            extra = 2;
            cp = b & 0x0f;
        } else if (b >= 0xf0 && b <= 0xf4) {
            extra = 3;
            cp = b & 0x07;
        } else {
            return 0;
        }
        if (n - i <= extra)
            return 0;
        for (size_t k = 1; k <= extra; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if ((extra == 2 && cp < 0x800) || (extra == 3 && cp < 0x10000) ||
            cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += extra + 1;
    }
    return 1;
}

/* Reads obj[key] (path is its full pointer) as a string of at most max
 * bytes. Required: present, non-empty. Optional: absent or null gives
 * *out = NULL. Returns 0, or -1 after refusing. */
static int
get_str(struct dctx *c, const cJSON *obj, const char *key, const char *path,
        size_t max, int required, const char **out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    *out = NULL;
    if (!v || (!required && cJSON_IsNull(v))) {
        if (!required)
            return 0;
        return refuse(c, "missing_field", path, "missing (expected a string)");
    }
    if (!cJSON_IsString(v) || !v->valuestring)
        return refuse(c, "bad_field", path, "expected a string (got %s)",
                      type_name(v));
    size_t n = strlen(v->valuestring);
    if (required && n == 0)
        return refuse(c, "bad_field", path,
                      "expected a non-empty string (got \"\")");
    if (n > max)
        return refuse(c, "bad_field", path,
                      "expected at most %zu bytes (got %zu)", max, n);
    if (!utf8_valid((const unsigned char *)v->valuestring, n))
        return refuse(c, "bad_field", path, "expected valid UTF-8");
    *out = v->valuestring;
    return 0;
}

/* Same, copying into *dst (NULL when optional and absent or empty). */
static int
copy_str(struct dctx *c, const cJSON *obj, const char *key, const char *path,
         size_t max, int required, char **dst)
{
    const char *s;
    if (get_str(c, obj, key, path, max, required, &s) != 0)
        return -1;
    *dst = s && *s ? dg_strdup(s) : NULL;
    return 0;
}

/* obj[key] as an object (required). */
static const cJSON *
get_obj(struct dctx *c, const cJSON *obj, const char *key, const char *path)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v)
        refuse(c, "missing_field", path, "missing (expected an object)");
    else if (!cJSON_IsObject(v))
        refuse(c, "bad_field", path, "expected an object (got %s)",
               type_name(v));
    else
        return v;
    return NULL;
}

/* Optional obj[key] of the given type: 0 when absent or matching. */
static int
check_opt_type(struct dctx *c, const cJSON *obj, const char *key,
               const char *path, int want_type)
{
    static const char *const names[] = {"", "an object", "an array", "a string",
                                        "a boolean"};
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    int ok;
    if (!v)
        return 0;
    switch (want_type) {
    case 1:
        ok = cJSON_IsObject(v);
        break;
    case 2:
        ok = cJSON_IsArray(v);
        break;
    case 3:
        ok = cJSON_IsString(v);
        break;
    default:
        ok = cJSON_IsBool(v);
        break;
    }
    if (ok)
        return 0;
    return refuse(c, "bad_field", path, "expected %s (got %s)",
                  names[want_type < 1 || want_type > 4 ? 4 : want_type],
                  type_name(v));
}

enum { T_OBJECT = 1, T_ARRAY, T_STRING, T_BOOL };

/* Parses an AWS timestamp: ISO 8601 (timefmt_parse) or an HTTP date
 * "Fri, 27 Jan 2023 06:02:51 GMT" as AWS Health writes it. */
static int
parse_any_time(const char *s, int64_t *ms)
{
    static const char *const days[] = {"Mon", "Tue", "Wed", "Thu",
                                       "Fri", "Sat", "Sun"};
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    if (timefmt_parse(s, ms) == 0)
        return 0;
    /* "Ddd, DD Mon YYYY HH:MM:SS GMT" */
    if (strlen(s) != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' ||
        s[11] != ' ' || s[16] != ' ' || s[25] != ' ' ||
        strcmp(s + 26, "GMT") != 0)
        return -1;
    int day_ok = 0;
    for (size_t i = 0; i < sizeof(days) / sizeof(days[0]); i++)
        if (strncmp(s, days[i], 3) == 0)
            day_ok = 1;
    if (!day_ok)
        return -1;
    int month = 0;
    for (int i = 0; i < 12; i++)
        if (strncmp(s + 8, months + 3 * i, 3) == 0)
            month = i + 1;
    if (!month)
        return -1;
    char iso[32];
    snprintf(iso, sizeof(iso), "%.4s-%02d-%.2sT%.8sZ", s + 12, month, s + 5,
             s + 17);
    return timefmt_parse(iso, ms);
}

static int
parse_time_at(struct dctx *c, const char *s, const char *path, int64_t *ms)
{
    char b[SHOW_BUF];
    if (parse_any_time(s, ms) == 0)
        return 0;
    return refuse(c, "bad_time", path,
                  "expected an ISO 8601 time such as "
                  "2026-01-01T00:00:00.000+0000 (got %s)",
                  show(s, b));
}

static int
parse_alarm_state(struct dctx *c, const char *s, const char *path,
                  enum dg_sig_state *st)
{
    char b[SHOW_BUF];
    if (strcmp(s, "OK") == 0)
        *st = DG_STATE_OK;
    else if (strcmp(s, "ALARM") == 0)
        *st = DG_STATE_ALARM;
    else if (strcmp(s, "INSUFFICIENT_DATA") == 0)
        *st = DG_STATE_INSUFFICIENT;
    else
        return refuse(c, "bad_field", path,
                      "expected OK, ALARM or INSUFFICIENT_DATA (got %s)",
                      show(s, b));
    return 0;
}

/* Copies a region code after checking it. */
static int
set_region(struct dctx *c, const char *s, const char *path, char **dst)
{
    char b[SHOW_BUF];
    if (!decode_region_valid(s))
        return refuse(c, "bad_region", path,
                      "expected a region code such as us-east-1 (got %s)",
                      show(s, b));
    *dst = dg_strdup(s);
    return 0;
}

/* event_id for shapes without their own id: the SNS MessageId, if any. */
static void
set_sns_event_id(struct dctx *c)
{
    if (c->message_id && !c->r->event_id)
        c->r->event_id = dg_sprintf("sns:%s", c->message_id);
}

/* ---- CloudWatch alarm via EventBridge --------------------------------- */

/* Region and ARN of an alarm event: the alarm ARN in resources[0] wins
 * (it keeps the origin region across buses), else the event's region. */
static int
cw_region(struct dctx *c, const cJSON *ev, struct dg_signal *s)
{
    char region[DECODE_REGION_MAX + 1];
    const cJSON *res = cJSON_GetObjectItemCaseSensitive(ev, "resources");
    if (check_opt_type(c, ev, "resources", "/resources", T_ARRAY) != 0)
        return -1;
    const cJSON *first = res ? cJSON_GetArrayItem(res, 0) : NULL;
    if (first && !cJSON_IsString(first))
        return refuse(c, "bad_field", "/resources/0",
                      "expected an alarm ARN string (got %s)",
                      type_name(first));
    if (first && strlen(first->valuestring) <= ARN_MAX_LEN &&
        decode_region_from_arn(first->valuestring, region, sizeof(region)) ==
            0 &&
        utf8_valid((const unsigned char *)first->valuestring,
                   strlen(first->valuestring))) {
        s->region = dg_strdup(region);
        s->arn = dg_strdup(first->valuestring);
        return 0;
    }
    const char *reg;
    if (get_str(c, ev, "region", "/region", DECODE_REGION_MAX + 64, 1, &reg) !=
        0)
        return -1;
    return set_region(c, reg, "/region", &s->region);
}

static int
cw_configuration(struct dctx *c, const cJSON *detail)
{
    const cJSON *conf =
        cJSON_GetObjectItemCaseSensitive(detail, "configuration");
    if (check_opt_type(c, detail, "configuration", "/detail/configuration",
                       T_OBJECT) != 0)
        return -1;
    if (!conf)
        return 0;
    /* Metric alarms carry metrics[], composite alarms alarmRule. */
    if (check_opt_type(c, conf, "metrics", "/detail/configuration/metrics",
                       T_ARRAY) != 0 ||
        check_opt_type(c, conf, "alarmRule", "/detail/configuration/alarmRule",
                       T_STRING) != 0)
        return -1;
    return 0;
}

static void
decode_cloudwatch(struct dctx *c, const cJSON *ev)
{
    struct dg_signal *s = &c->r->u.sig;
    const char *v;
    c->r->kind = DG_REC_SIGNAL;
    s->source = DG_SRC_CLOUDWATCH;
    const cJSON *detail = get_obj(c, ev, "detail", "/detail");
    if (!detail || copy_str(c, detail, "alarmName", "/detail/alarmName",
                            NAME_MAX_LEN, 1, &s->name) != 0)
        return;
    const cJSON *state = get_obj(c, detail, "state", "/detail/state");
    if (!state ||
        get_str(c, state, "value", "/detail/state/value", TYPE_MAX_LEN, 1,
                &v) != 0 ||
        parse_alarm_state(c, v, "/detail/state/value", &s->state) != 0 ||
        copy_str(c, state, "reason", "/detail/state/reason", DETAIL_MAX_LEN, 0,
                 &s->detail) != 0 ||
        get_str(c, state, "timestamp", "/detail/state/timestamp", TIME_MAX_LEN,
                0, &v) != 0)
        return;
    if (v) {
        if (parse_time_at(c, v, "/detail/state/timestamp", &s->time_ms) != 0)
            return;
    } else if (get_str(c, ev, "time", "/time", TIME_MAX_LEN, 1, &v) != 0 ||
               parse_time_at(c, v, "/time", &s->time_ms) != 0) {
        return;
    }
    if (cw_configuration(c, detail) != 0)
        return;
    cw_region(c, ev, s);
}

/* ---- AWS Health via EventBridge --------------------------------------- */

static int
health_time(struct dctx *c, const cJSON *ev, const cJSON *detail, int closed,
            int64_t *ms)
{
    static const char *const keys[] = {"lastUpdatedTime", "endTime",
                                       "startTime"};
    char path[64];
    const char *v;
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (i == 1 && !closed)
            continue;
        snprintf(path, sizeof(path), "/detail/%s", keys[i]);
        if (get_str(c, detail, keys[i], path, TIME_MAX_LEN, 0, &v) != 0)
            return -1;
        if (v)
            return parse_time_at(c, v, path, ms);
    }
    if (get_str(c, ev, "time", "/time", TIME_MAX_LEN, 1, &v) != 0)
        return -1;
    return parse_time_at(c, v, "/time", ms);
}

static void
decode_health(struct dctx *c, const cJSON *ev)
{
    struct dg_signal *s = &c->r->u.sig;
    const char *status, *reg;
    char b[SHOW_BUF];
    c->r->kind = DG_REC_SIGNAL;
    s->source = DG_SRC_HEALTH;
    const cJSON *detail = get_obj(c, ev, "detail", "/detail");
    if (!detail ||
        copy_str(c, detail, "service", "/detail/service", SERVICE_MAX_LEN, 1,
                 &s->service) != 0 ||
        copy_str(c, detail, "eventTypeCode", "/detail/eventTypeCode",
                 NAME_MAX_LEN, 1, &s->name) != 0 ||
        copy_str(c, detail, "eventArn", "/detail/eventArn", ARN_MAX_LEN, 0,
                 &s->arn) != 0 ||
        get_str(c, detail, "statusCode", "/detail/statusCode", TYPE_MAX_LEN, 1,
                &status) != 0)
        return;
    /* "upcoming" (scheduled changes) is not a failure yet: OK. */
    if (strcmp(status, "open") == 0)
        s->state = DG_STATE_ALARM;
    else if (strcmp(status, "closed") == 0 || strcmp(status, "upcoming") == 0)
        s->state = DG_STATE_OK;
    else {
        refuse(c, "bad_field", "/detail/statusCode",
               "expected open, closed or upcoming (got %s)", show(status, b));
        return;
    }
    s->detail = dg_strdup(status);
    if (health_time(c, ev, detail, strcmp(status, "closed") == 0,
                    &s->time_ms) != 0)
        return;
    /* The affected region is detail.eventRegion; the event's own region is
     * only where it was delivered. "global" is kept as is. */
    if (get_str(c, detail, "eventRegion", "/detail/eventRegion",
                DECODE_REGION_MAX + 64, 0, &reg) != 0)
        return;
    if (reg && strcmp(reg, "global") == 0) {
        s->region = dg_strdup(reg);
        return;
    }
    if (reg) {
        set_region(c, reg, "/detail/eventRegion", &s->region);
        return;
    }
    if (get_str(c, ev, "region", "/region", DECODE_REGION_MAX + 64, 1, &reg) !=
        0)
        return;
    set_region(c, reg, "/region", &s->region);
}

/* ---- EventBridge dispatch --------------------------------------------- */

static void
decode_eventbridge(struct dctx *c, const cJSON *ev)
{
    const char *id, *src, *dt;
    char b1[SHOW_BUF], b2[SHOW_BUF];
    if (!c->r->envelope)
        c->r->envelope = dg_strdup("eventbridge");
    if (get_str(c, ev, "id", "/id", ID_MAX_LEN, 1, &id) != 0)
        return;
    /* The event id is the dedup key, also when SNS carried the event. */
    dg_free(c->r->event_id);
    c->r->event_id = dg_sprintf("eb:%s", id);
    if (get_str(c, ev, "source", "/source", TYPE_MAX_LEN, 1, &src) != 0 ||
        get_str(c, ev, "detail-type", "/detail-type", TYPE_MAX_LEN, 1, &dt) !=
            0 ||
        check_opt_type(c, ev, "account", "/account", T_STRING) != 0)
        return;
    if (strcmp(src, "aws.cloudwatch") == 0 &&
        strcmp(dt, "CloudWatch Alarm State Change") == 0)
        decode_cloudwatch(c, ev);
    else if (strcmp(src, "aws.health") == 0 &&
             strcmp(dt, "AWS Health Event") == 0)
        decode_health(c, ev);
    else
        refuse(c, "unknown_shape", "/detail-type",
               "EventBridge event from source %s with detail-type %s is not "
               "understood (expected \"CloudWatch Alarm State Change\" from "
               "aws.cloudwatch or \"AWS Health Event\" from aws.health)",
               show(src, b1), show(dt, b2));
}

/* ---- classic SNS alarm notification ----------------------------------- */

static void
decode_sns_alarm(struct dctx *c, const cJSON *m)
{
    struct dg_signal *s = &c->r->u.sig;
    const char *v, *when;
    char region[DECODE_REGION_MAX + 1], b[SHOW_BUF];
    c->r->kind = DG_REC_SIGNAL;
    s->source = DG_SRC_CLOUDWATCH;
    if (copy_str(c, m, "AlarmName", "/AlarmName", NAME_MAX_LEN, 1, &s->name) !=
            0 ||
        get_str(c, m, "NewStateValue", "/NewStateValue", TYPE_MAX_LEN, 1, &v) !=
            0 ||
        parse_alarm_state(c, v, "/NewStateValue", &s->state) != 0 ||
        copy_str(c, m, "NewStateReason", "/NewStateReason", DETAIL_MAX_LEN, 0,
                 &s->detail) != 0 ||
        get_str(c, m, "StateChangeTime", "/StateChangeTime", TIME_MAX_LEN, 1,
                &when) != 0 ||
        parse_time_at(c, when, "/StateChangeTime", &s->time_ms) != 0 ||
        get_str(c, m, "AlarmArn", "/AlarmArn", ARN_MAX_LEN, 1, &v) != 0)
        return;
    /* "Region" is a display name ("US East (N. Virginia)"): ARN only. */
    if (decode_region_from_arn(v, region, sizeof(region)) != 0) {
        refuse(c, "bad_region", "/AlarmArn",
               "expected an alarm ARN with a region code, "
               "arn:aws:cloudwatch:REGION:ACCOUNT:alarm:NAME (got %s)",
               show(v, b));
        return;
    }
    s->region = dg_strdup(region);
    s->arn = dg_strdup(v);
    if (c->message_id)
        set_sns_event_id(c);
    else /* raw delivery: the same transition gives the same key */
        c->r->event_id =
            dg_sprintf("cw:%s/%s@%s", v, decode_state_name(s->state), when);
}

/* ---- drgate's own messages -------------------------------------------- */

static void
decode_probe(struct dctx *c, const cJSON *m)
{
    struct dg_signal *s = &c->r->u.sig;
    const char *v;
    c->r->kind = DG_REC_SIGNAL;
    s->source = DG_SRC_PROBE;
    set_sns_event_id(c);
    if (copy_str(c, m, "probe", "/probe", NAME_MAX_LEN, 1, &s->name) != 0 ||
        get_str(c, m, "region", "/region", DECODE_REGION_MAX + 64, 1, &v) !=
            0 ||
        set_region(c, v, "/region", &s->region) != 0)
        return;
    const cJSON *ok = cJSON_GetObjectItemCaseSensitive(m, "ok");
    if (!ok) {
        refuse(c, "missing_field", "/ok", "missing (expected true or false)");
        return;
    }
    if (!cJSON_IsBool(ok)) {
        refuse(c, "bad_field", "/ok", "expected true or false (got %s)",
               type_name(ok));
        return;
    }
    s->state = cJSON_IsTrue(ok) ? DG_STATE_OK : DG_STATE_ALARM;
    if (get_str(c, m, "time", "/time", TIME_MAX_LEN, 1, &v) != 0 ||
        parse_time_at(c, v, "/time", &s->time_ms) != 0)
        return;
    copy_str(c, m, "detail", "/detail", DETAIL_MAX_LEN, 0, &s->detail);
}

static int
is_b64url(char ch)
{
    return is_lower(ch) || (ch >= 'A' && ch <= 'Z') || is_digit(ch) ||
           ch == '-' || ch == '_';
}

/* Token: 43..64 characters of base64url (hex is a subset), '=' padding
 * only at the end. */
static int
token_ok(const char *t)
{
    size_t n = strlen(t), i = 0;
    if (n < TOKEN_MIN_LEN || n > TOKEN_MAX_LEN)
        return 0;
    while (i < n && is_b64url(t[i]))
        i++;
    size_t pad = 0;
    while (i < n && t[i] == '=') {
        i++;
        pad++;
    }
    return i == n && pad <= 2;
}

static int
digest_ok(const char *d)
{
    if (strncmp(d, "sha256:", 7) != 0 || strlen(d) != 7 + 64)
        return 0;
    for (const char *p = d + 7; *p; p++)
        if (!is_digit(*p) && !(*p >= 'a' && *p <= 'f'))
            return 0;
    return 1;
}

static int
signature_ok(const char *s)
{
    for (const char *p = s; *p; p++)
        if (!is_b64url(*p) && *p != '+' && *p != '/' && *p != '=')
            return 0;
    return 1;
}

static int
approval_keys(struct dctx *c, const cJSON *m)
{
    static const char *const allowed[] = {
        "type",     "plan_id",   "plan_digest", "decision",        "token",
        "approver", "signed_at", "signature",   "accept_data_loss"};
    char b[SHOW_BUF];
    for (const cJSON *k = m->child; k; k = k->next) {
        int known = 0;
        for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
            if (strcmp(k->string, allowed[i]) == 0)
                known = 1;
        if (!known)
            return refuse(c, "bad_field", NULL,
                          "unexpected key %s in an approval reply (a signed "
                          "reply carries only type, plan_id, plan_digest, "
                          "decision, token, approver, signed_at, signature "
                          "and accept_data_loss)",
                          show(k->string, b));
    }
    return 0;
}

static int
approval_fields(struct dctx *c, const cJSON *m, struct dg_approval_msg *a)
{
    int64_t ms;
    if (approval_keys(c, m) != 0 ||
        copy_str(c, m, "plan_id", "/plan_id", ID_MAX_LEN, 1, &a->plan_id) !=
            0 ||
        copy_str(c, m, "plan_digest", "/plan_digest", 71, 1, &a->plan_digest) !=
            0)
        return -1;
    if (!digest_ok(a->plan_digest))
        return refuse(c, "bad_field", "/plan_digest",
                      "expected \"sha256:\" and 64 lower-case hex digits");
    if (copy_str(c, m, "decision", "/decision", 16, 1, &a->decision) != 0)
        return -1;
    if (strcmp(a->decision, "approve") != 0 &&
        strcmp(a->decision, "reject") != 0)
        return refuse(c, "bad_field", "/decision",
                      "expected approve or reject");
    if (copy_str(c, m, "token", "/token", TOKEN_MAX_LEN, 1, &a->token) != 0)
        return -1;
    if (!token_ok(a->token))
        return refuse(c, "bad_field", "/token",
                      "expected %d to %d base64url or hex characters",
                      TOKEN_MIN_LEN, TOKEN_MAX_LEN);
    if (copy_str(c, m, "approver", "/approver", APPROVER_MAX_LEN, 1,
                 &a->approver) != 0 ||
        copy_str(c, m, "signed_at", "/signed_at", TIME_MAX_LEN, 1,
                 &a->signed_at) != 0 ||
        parse_time_at(c, a->signed_at, "/signed_at", &ms) != 0 ||
        copy_str(c, m, "signature", "/signature", SIGNATURE_MAX_LEN, 1,
                 &a->signature) != 0)
        return -1;
    if (!signature_ok(a->signature))
        return refuse(c, "bad_field", "/signature",
                      "expected base64 or base64url characters");
    return check_opt_type(c, m, "accept_data_loss", "/accept_data_loss",
                          T_BOOL);
}

static void
decode_approval(struct dctx *c, const cJSON *m)
{
    struct dg_approval_msg *a = &c->r->u.appr;
    c->r->kind = DG_REC_APPROVAL;
    set_sns_event_id(c);
    if (approval_fields(c, m, a) != 0)
        return;
    a->accept_data_loss =
        cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "accept_data_loss"));
    a->body = cJSON_Duplicate(m, 1);
}

/* ---- commands (seed 000 and seed 001) --------------------------------- */

static void
decode_action(struct dctx *c, const cJSON *m)
{
    static const struct {
        const char *name;
        enum dg_cmd_action action;
    } actions[] = {{"failover", DG_CMD_FAILOVER},
                   {"failback", DG_CMD_FAILBACK},
                   {"status", DG_CMD_STATUS},
                   {"validate", DG_CMD_VALIDATE}};
    struct dg_command *cmd = &c->r->u.cmd;
    const char *v;
    char b[SHOW_BUF];
    c->r->kind = DG_REC_COMMAND;
    set_sns_event_id(c);
    if (get_str(c, m, "Action", "/Action", TYPE_MAX_LEN, 1, &v) != 0)
        return;
    for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
        if (strcasecmp(v, actions[i].name) == 0)
            cmd->action = actions[i].action;
    if (!cmd->action) {
        refuse(c, "bad_field", "/Action",
               "expected failover, failback, status or validate (got %s)",
               show(v, b));
        return;
    }
    if (copy_str(c, m, "GlobalClusterIdentifier", "/GlobalClusterIdentifier",
                 ID_MAX_LEN, 1, &cmd->global_cluster) != 0)
        return;
    copy_str(c, m, "TargetDbClusterIdentifier", "/TargetDbClusterIdentifier",
             ID_MAX_LEN, 1, &cmd->target_cluster);
}

static int
runbook_resource(struct dctx *c, const cJSON *res, int li, int ri)
{
    char path[96], fpath[128];
    const char *v;
    snprintf(path, sizeof(path), "/StatePayload/%d/resources/%d", li, ri);
    if (!cJSON_IsObject(res))
        return refuse(c, "bad_field", path, "expected an object (got %s)",
                      type_name(res));
    snprintf(fpath, sizeof(fpath), "%s/resourceType", path);
    if (get_str(c, res, "resourceType", fpath, TYPE_MAX_LEN, 1, &v) != 0)
        return -1;
    snprintf(fpath, sizeof(fpath), "%s/resourceName", path);
    if (get_str(c, res, "resourceName", fpath, RESNAME_MAX_LEN, 0, &v) != 0)
        return -1;
    snprintf(fpath, sizeof(fpath), "%s/parameters", path);
    return check_opt_type(c, res, "parameters", fpath, T_OBJECT);
}

static int
runbook_layer(struct dctx *c, const cJSON *layer, int li)
{
    char path[64], fpath[96];
    long long n;
    snprintf(path, sizeof(path), "/StatePayload/%d", li);
    if (!cJSON_IsObject(layer))
        return refuse(c, "bad_field", path, "expected an object (got %s)",
                      type_name(layer));
    snprintf(fpath, sizeof(fpath), "%s/layer", path);
    if (!cJSON_GetObjectItemCaseSensitive(layer, "layer"))
        return refuse(c, "missing_field", fpath,
                      "missing (expected an integer)");
    if (!dg_json_int(layer, "layer", &n) || n < 0 || n > 1000000)
        return refuse(c, "bad_field", fpath,
                      "expected an integer from 0 to 1000000");
    snprintf(fpath, sizeof(fpath), "%s/resources", path);
    const cJSON *res = cJSON_GetObjectItemCaseSensitive(layer, "resources");
    if (!res)
        return refuse(c, "missing_field", fpath,
                      "missing (expected an array of resources)");
    if (!cJSON_IsArray(res) || cJSON_GetArraySize(res) == 0)
        return refuse(c, "bad_field", fpath,
                      "expected a non-empty array (got %s)", type_name(res));
    int ri = 0;
    for (const cJSON *r = res->child; r; r = r->next, ri++)
        if (runbook_resource(c, r, li, ri) != 0)
            return -1;
    return 0;
}

static void
decode_runbook(struct dctx *c, const cJSON *m)
{
    struct dg_command *cmd = &c->r->u.cmd;
    c->r->kind = DG_REC_COMMAND;
    cmd->action = DG_CMD_RUNBOOK;
    set_sns_event_id(c);
    const cJSON *sp = cJSON_GetObjectItemCaseSensitive(m, "StatePayload");
    if (!cJSON_IsArray(sp) || cJSON_GetArraySize(sp) == 0) {
        refuse(c, "bad_field", "/StatePayload",
               "expected a non-empty array of layers (got %s)", type_name(sp));
        return;
    }
    int li = 0;
    for (const cJSON *l = sp->child; l; l = l->next, li++)
        if (runbook_layer(c, l, li) != 0)
            return;
    cmd->state_payload = cJSON_Duplicate(sp, 1);
}

/* ---- dispatch --------------------------------------------------------- */

static int
has(const cJSON *obj, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(obj, key) != NULL;
}

static void
refuse_unknown(struct dctx *c, const cJSON *m)
{
    char keys[4][SHOW_BUF];
    const char *k[4] = {"", "", "", ""};
    int n = 0, total = cJSON_GetArraySize(m);
    for (const cJSON *it = m->child; it && n < 4; it = it->next, n++)
        k[n] = show(it->string, keys[n]);
    if (total == 0) {
        refuse(c, "unknown_shape", NULL,
               "unknown message shape: an empty object");
        return;
    }
    refuse(c, "unknown_shape", NULL,
           "unknown message shape: an object with keys %s%s%s%s%s%s%s%s "
           "(expected an EventBridge event, SNS alarm notification, probe "
           "result, Action command, StatePayload runbook or approval reply)",
           k[0], n > 1 ? ", " : "", k[1], n > 2 ? ", " : "", k[2],
           n > 3 ? ", " : "", k[3], total > 4 ? ", ..." : "");
}

static void
decode_typed(struct dctx *c, const cJSON *m)
{
    const cJSON *tv = cJSON_GetObjectItemCaseSensitive(m, "type");
    char b[SHOW_BUF];
    if (!cJSON_IsString(tv) || !tv->valuestring)
        refuse(c, "unknown_shape", "/type",
               "expected drgate.probe or drgate.approval (got %s)",
               type_name(tv));
    else if (strcmp(tv->valuestring, "drgate.probe") == 0)
        decode_probe(c, m);
    else if (strcmp(tv->valuestring, "drgate.approval") == 0)
        decode_approval(c, m);
    else
        refuse(c, "unknown_shape", "/type",
               "expected drgate.probe or drgate.approval (got %s)",
               show(tv->valuestring, b));
}

/* Recognizes and decodes one message object (the root, or the SNS
 * Message). */
static void
decode_object(struct dctx *c, const cJSON *m)
{
    if (!cJSON_IsObject(m)) {
        refuse(c, "unknown_shape", NULL, "expected a JSON object (got %s)",
               type_name(m));
        return;
    }
    if (has(m, "detail-type") && has(m, "source"))
        decode_eventbridge(c, m);
    else if (has(m, "type"))
        decode_typed(c, m);
    else if (has(m, "AlarmName") || has(m, "NewStateValue"))
        decode_sns_alarm(c, m);
    else if (has(m, "Action"))
        decode_action(c, m);
    else if (has(m, "StatePayload"))
        decode_runbook(c, m);
    else
        refuse_unknown(c, m);
}

static int
is_sns_envelope(const cJSON *v)
{
    return cJSON_IsObject(v) &&
           cJSON_IsString(cJSON_GetObjectItemCaseSensitive(v, "Type")) &&
           (has(v, "MessageId") || has(v, "TopicArn"));
}

static void
decode_sns(struct dctx *c, const cJSON *env)
{
    const char *type, *mid, *msg, *topic;
    char b[SHOW_BUF];
    struct dg_err err;
    if (get_str(c, env, "Type", "/Type", TYPE_MAX_LEN, 1, &type) != 0 ||
        get_str(c, env, "MessageId", "/MessageId", ID_MAX_LEN, 1, &mid) != 0)
        return;
    c->r->event_id = dg_sprintf("sns:%s", mid);
    if (strcmp(type, "SubscriptionConfirmation") == 0 ||
        strcmp(type, "UnsubscribeConfirmation") == 0) {
        refuse(c, "sns_subscription_confirmation", "/Type",
               "SNS %s is not a message for drgate (confirm or remove the "
               "subscription out of band)",
               type);
        return;
    }
    if (strcmp(type, "Notification") != 0) {
        refuse(c, "unknown_shape", "/Type",
               "expected an SNS Notification (got %s)", show(type, b));
        return;
    }
    if (get_str(c, env, "TopicArn", "/TopicArn", ARN_MAX_LEN, 0, &topic) != 0 ||
        get_str(c, env, "Message", "/Message", DG_JSON_MAX_MESSAGE, 1, &msg) !=
            0)
        return;
    dg_err_clear(&err);
    /* One level is used by the envelope itself. */
    cJSON *inner = dg_json_parse(msg, strlen(msg), DG_JSON_MAX_MESSAGE,
                                 DG_JSON_MAX_DEPTH - 1, &err);
    if (!inner) {
        int not_json = strcmp(err.code, "bad_json") == 0;
        refuse(c, not_json ? "sns_bad_message" : err.code, "/Message", "%s%s",
               not_json ? "the SNS Message is not JSON: " : "", err.msg);
        return;
    }
    c->pfx = "/Message";
    c->message_id = mid;
    if (is_sns_envelope(inner))
        refuse(c, "sns_bad_message", NULL,
               "an SNS envelope inside an SNS envelope");
    else
        decode_object(c, inner);
    c->pfx = "";
    cJSON_Delete(inner);
}

/*
 * reason_code values: bad_json, too_large, too_deep, duplicate_key (from
 * dg_json_parse, also for the SNS Message), unknown_shape, missing_field,
 * bad_field, bad_time, bad_region, sns_bad_message (Message not JSON, or a
 * nested envelope), sns_subscription_confirmation.
 */
void
decode_message(const char *data, size_t len, struct dg_record *out)
{
    struct dctx c = {.r = out, .pfx = "", .message_id = NULL};
    struct dg_err err;
    memset(out, 0, sizeof(*out));
    dg_err_clear(&err);
    if (!data) {
        data = "";
        len = 0;
    }
    cJSON *root =
        dg_json_parse(data, len, DG_JSON_MAX_MESSAGE, DG_JSON_MAX_DEPTH, &err);
    if (!root) {
        refuse(&c, err.code[0] ? err.code : "bad_json", NULL, "%s", err.msg);
        return;
    }
    if (is_sns_envelope(root)) {
        out->envelope = dg_strdup("sns");
        out->sns = root; /* owned by the record from here on */
        decode_sns(&c, root);
        return;
    }
    decode_object(&c, root);
    cJSON_Delete(root);
}
