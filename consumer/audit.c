/*
 * audit.c - verifies the hash-chained audit log (events.h) from the store
 * or from a sink's JSON-lines copy.
 *
 * DESIGN: each record is checked on its own as it comes (well-formed, its
 * hash recomputes); the chain is checked at the end over the records
 * sorted by seq, so the verdict can say "dropped" for a gap, "out of
 * order" for a record that shows up after a later one, and "conflicting"
 * for two different records with one seq, instead of one confusing error
 * per record after the first break. Memory: one small entry per record.
 * Problems are kept as text lines; nothing is logged here.
 */
#include "audit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "json.h"
#include "mem.h"

struct rec {
    int64_t seq;
    size_t pos; /* order fed */
    unsigned char hash[DG_SHA256_LEN];
    unsigned char prev[DG_SHA256_LEN];
    char *id;
    char *where;
    int self_ok; /* its own hash recomputes */
};

struct audit {
    struct rec *v;
    size_t n, cap;
    size_t fed;
    int64_t last_seq; /* highest seq fed so far, for the order check */
    struct dg_buf problems;
    size_t nproblems;
    /* JSON-lines input (audit_feed_bytes). */
    struct dg_buf line;
    size_t lineno;
    int too_long;
};

struct audit *
audit_new(void)
{
    struct audit *a = dg_calloc(1, sizeof(*a));
    dg_buf_init(&a->problems, 16 * 1024 * 1024);
    dg_buf_init(&a->line, EVENTS_MAX_JSON);
    return a;
}

void
audit_free(struct audit *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->n; i++) {
        dg_free(a->v[i].id);
        dg_free(a->v[i].where);
    }
    dg_free(a->v);
    dg_buf_cleanup(&a->problems);
    dg_buf_cleanup(&a->line);
    dg_free(a);
}

/* One problem line: "WHERE: id ID, seq N: WHAT" (id and seq when known). */
static void
problem(struct audit *a, const char *where, const char *id, long long seq,
        const char *what)
{
    a->nproblems++;
    if (id)
        (void)dg_buf_printf(&a->problems, "%s: id %s, seq %lld: %s\n", where,
                            id, seq, what);
    else
        (void)dg_buf_printf(&a->problems, "%s: %s\n", where, what);
}

static int
hex_decode(const char *s, unsigned char *out, size_t n)
{
    if (!s || strlen(s) != 2 * n)
        return -1;
    for (size_t i = 0; i < 2 * n; i++) {
        char c = s[i];
        int v = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                       : -1;
        if (v < 0)
            return -1;
        if (i % 2 == 0)
            out[i / 2] = (unsigned char)(v << 4);
        else
            out[i / 2] |= (unsigned char)v;
    }
    return 0;
}

/* Checks one record; on success appends it to a->v and returns it. */
static struct rec *
check_record(struct audit *a, const char *text, size_t len, const char *where)
{
    a->fed++;
    struct dg_err err;
    dg_err_clear(&err);
    cJSON *ev =
        dg_json_parse(text, len, EVENTS_MAX_JSON, DG_JSON_MAX_DEPTH, &err);
    if (!ev) {
        char what[600];
        snprintf(what, sizeof(what), "not JSON: %s", err.msg);
        problem(a, where, NULL, 0, what);
        return NULL;
    }
    struct rec r;
    memset(&r, 0, sizeof(r));
    long long seq = 0;
    const char *id = dg_json_str(ev, "id");
    const char *spec = dg_json_str(ev, "specversion");
    const char *prev = dg_json_str(ev, "drgateprev");
    const char *hash = dg_json_str(ev, "drgatehash");
    const char *bad = NULL;
    if (!cJSON_IsObject(ev))
        bad = "not an object";
    else if (!spec || strcmp(spec, "1.0") != 0)
        bad = "specversion is not \"1.0\"";
    else if (!id || !*id)
        bad = "no id";
    else if (!dg_json_str(ev, "type"))
        bad = "no type";
    else if (!dg_json_int(ev, "drgateseq", &seq) || seq < 1)
        bad = "drgateseq is not a positive integer";
    else if (hex_decode(prev, r.prev, DG_SHA256_LEN) != 0)
        bad = "drgateprev is not a SHA-256 hex digest";
    else if (hex_decode(hash, r.hash, DG_SHA256_LEN) != 0)
        bad = "drgatehash is not a SHA-256 hex digest";
    if (bad) {
        char what[200];
        snprintf(what, sizeof(what), "not a drgate event: %s", bad);
        problem(a, where, NULL, 0, what);
        cJSON_Delete(ev);
        return NULL;
    }
    char calc[DG_SHA256_HEX_LEN + 1];
    if (events_hash(ev, prev, calc, &err) != DG_OK) {
        problem(a, where, id, seq, err.msg);
        cJSON_Delete(ev);
        return NULL;
    }
    r.self_ok = strcmp(calc, hash) == 0;
    if (!r.self_ok)
        problem(a, where, id, seq,
                "edited: its contents do not match its drgatehash");
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 256;
        a->v = dg_realloc(a->v, a->cap * sizeof(*a->v));
    }
    r.seq = seq;
    r.pos = a->fed;
    r.id = dg_strdup(id);
    r.where = dg_strdup(where);
    a->v[a->n] = r;
    cJSON_Delete(ev);
    return &a->v[a->n++];
}

void
audit_feed(struct audit *a, const char *text, size_t len, const char *where)
{
    struct rec *r = check_record(a, text, len, where);
    if (!r)
        return;
    /* Order: a seq below the highest seen is fine only as a repeat; that
     * is decided at the end, where the repeats are known. */
    if (r->seq > a->last_seq)
        a->last_seq = r->seq;
}

static void
line_done(struct audit *a)
{
    a->lineno++;
    char where[48];
    snprintf(where, sizeof(where), "line %zu", a->lineno);
    if (a->too_long) {
        a->fed++;
        problem(a, where, NULL, 0, "not a drgate event: longer than 1 MiB");
    } else {
        const char *p = dg_buf_str(&a->line);
        size_t n = a->line.len;
        while (n && (p[n - 1] == '\r' || p[n - 1] == ' ' || p[n - 1] == '\t'))
            n--;
        size_t i = 0;
        while (i < n && (p[i] == ' ' || p[i] == '\t'))
            i++;
        if (i < n)
            audit_feed(a, p + i, n - i, where);
    }
    dg_buf_reset(&a->line);
    a->too_long = 0;
}

void
audit_feed_bytes(struct audit *a, const char *p, size_t n)
{
    const char *end = p + n;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t take = (size_t)((nl ? nl : end) - p);
        if (!a->too_long && dg_buf_add(&a->line, p, take) != DG_OK)
            a->too_long = 1;
        p = nl ? nl + 1 : end;
        if (nl)
            line_done(a);
    }
}

void
audit_feed_eof(struct audit *a)
{
    if (a->line.len || a->too_long)
        line_done(a);
}

void
audit_feed_row(struct audit *a, const struct store_event_row *row)
{
    char where[64];
    snprintf(where, sizeof(where), "row %lld", (long long)row->seq);
    const char *json = row->json ? row->json : "";
    struct rec *r = check_record(a, json, strlen(json), where);
    if (!r)
        return;
    unsigned char h[DG_SHA256_LEN], p[DG_SHA256_LEN];
    if (r->seq != row->seq || !row->id || strcmp(row->id, r->id) != 0 ||
        hex_decode(row->hash, h, DG_SHA256_LEN) != 0 ||
        hex_decode(row->prev_hash, p, DG_SHA256_LEN) != 0 ||
        memcmp(h, r->hash, DG_SHA256_LEN) != 0 ||
        memcmp(p, r->prev, DG_SHA256_LEN) != 0)
        problem(a, where, r->id, (long long)r->seq,
                "edited: the row's seq, id or hashes disagree with its JSON");
    if (r->seq > a->last_seq)
        a->last_seq = r->seq;
}

static int
by_seq(const void *x, const void *y)
{
    const struct rec *a = x, *b = y;
    if (a->seq != b->seq)
        return a->seq < b->seq ? -1 : 1;
    return a->pos < b->pos ? -1 : a->pos > b->pos;
}

static void
check_order(struct audit *a, size_t *dups)
{
    /* Work on a copy sorted by seq (stable by feed position). */
    struct rec *s = dg_malloc((a->n ? a->n : 1) * sizeof(*s));
    if (a->n)
        memcpy(s, a->v, a->n * sizeof(*s));
    qsort(s, a->n, sizeof(*s), by_seq);
    /* Walk the seqs in order. Among records sharing a seq, the one that
     * fits the chain (hash recomputes, links to the previous) is the
     * record; exact copies of it are repeats, anything else conflicts.
     * first[pos] = 1 for the chosen record of each seq. */
    unsigned char *first = dg_calloc(a->fed + 1, 1);
    const struct rec *prev = NULL;
    for (size_t i = 0; i < a->n;) {
        size_t j = i;
        while (j < a->n && s[j].seq == s[i].seq)
            j++;
        /* Score: its hash recomputes (4), it links to the previous
         * record (2), the next seq links to it (1); ties: first fed. */
        size_t c = i;
        int best = -1;
        for (size_t k = i; k < j; k++) {
            int score = s[k].self_ok ? 4 : 0;
            if (!prev || prev->seq + 1 != s[k].seq ||
                memcmp(s[k].prev, prev->hash, DG_SHA256_LEN) == 0)
                score += 2;
            for (size_t q = j; q < a->n && s[q].seq == s[k].seq + 1; q++)
                if (memcmp(s[q].prev, s[k].hash, DG_SHA256_LEN) == 0) {
                    score += 1;
                    break;
                }
            if (score > best) {
                best = score;
                c = k;
            }
        }
        const struct rec *r = &s[c];
        first[r->pos] = 1;
        for (size_t k = i; k < j; k++) {
            if (k == c)
                continue;
            if (memcmp(s[k].hash, r->hash, DG_SHA256_LEN) == 0)
                (*dups)++;
            else {
                char what[200];
                snprintf(what, sizeof(what),
                         "conflicting: %s has this seq with different "
                         "contents (this one was inserted or edited)",
                         r->where);
                problem(a, s[k].where, s[k].id, (long long)s[k].seq, what);
            }
        }
        int64_t want = prev ? prev->seq + 1 : 1;
        if (r->seq > want) {
            char what[160];
            if (r->seq - 1 == want)
                snprintf(what, sizeof(what),
                         "seq %lld is missing before it (dropped)",
                         (long long)want);
            else
                snprintf(what, sizeof(what),
                         "seqs %lld..%lld are missing before it (dropped)",
                         (long long)want, (long long)(r->seq - 1));
            problem(a, r->where, r->id, (long long)r->seq, what);
        } else if (prev && memcmp(r->prev, prev->hash, DG_SHA256_LEN) != 0) {
            char what[200];
            snprintf(what, sizeof(what),
                     "broken link: drgateprev is not the hash of seq %lld "
                     "(id %s): one of the two was edited or replaced",
                     (long long)prev->seq, prev->id);
            problem(a, r->where, r->id, (long long)r->seq, what);
        } else if (!prev && r->seq == 1) {
            static const unsigned char zero[DG_SHA256_LEN];
            if (memcmp(r->prev, zero, DG_SHA256_LEN) != 0)
                problem(a, r->where, r->id, 1,
                        "broken link: the first event's drgateprev is not "
                        "the genesis hash");
        }
        prev = r;
        i = j;
    }
    /* In feed order: a record below the highest seq seen before it is out
     * of order, unless it is a repeat (redelivery). */
    int64_t high = 0;
    const char *high_where = "";
    for (size_t i = 0; i < a->n; i++) {
        const struct rec *r = &a->v[i];
        if (first[r->pos] && r->seq < high) {
            char what[160];
            snprintf(what, sizeof(what),
                     "out of order: it comes after seq %lld (%s)",
                     (long long)high, high_where);
            problem(a, r->where, r->id, (long long)r->seq, what);
        }
        if (r->seq > high) {
            high = r->seq;
            high_where = r->where;
        }
    }
    dg_free(first);
    dg_free(s);
}

size_t
audit_finish(struct audit *a, struct dg_buf *report, size_t max_lines,
             struct audit_summary *sum)
{
    size_t dups = 0;
    check_order(a, &dups);
    if (sum) {
        memset(sum, 0, sizeof(*sum));
        sum->records = a->fed;
        sum->duplicates = dups;
        sum->problems = a->nproblems;
        strcpy(sum->head_hash, EVENTS_GENESIS);
        for (size_t i = 0; i < a->n; i++)
            if (a->v[i].seq >= sum->head_seq) {
                sum->head_seq = a->v[i].seq;
                digest_hex(a->v[i].hash, DG_SHA256_LEN, sum->head_hash);
            }
    }
    if (report) {
        const char *p = dg_buf_str(&a->problems);
        size_t lines = 0;
        while (*p && lines < max_lines) {
            const char *nl = strchr(p, '\n');
            size_t n = nl ? (size_t)(nl - p + 1) : strlen(p);
            (void)dg_buf_add(report, p, n);
            p += n;
            lines++;
        }
        if (a->nproblems > lines)
            (void)dg_buf_printf(report, "... and %zu more problems\n",
                                a->nproblems - lines);
    }
    return a->nproblems;
}

struct scan_ctx {
    struct audit *a;
};

static int
scan_row(const struct store_event_row *row, void *ctx)
{
    struct scan_ctx *c = ctx;
    audit_feed_row(c->a, row);
    return 0;
}

dg_rc
audit_verify_store(struct store *s, struct dg_buf *report, size_t max_lines,
                   size_t *problems, struct audit_summary *sum,
                   struct dg_err *err)
{
    struct audit *a = audit_new();
    struct scan_ctx c = {a};
    dg_rc rc = store_events_scan(s, 0, 0, scan_row, &c, err);
    if (rc == DG_OK)
        *problems = audit_finish(a, report, max_lines, sum);
    audit_free(a);
    return rc;
}
