/*
 * options.c - the table-driven option engine behind config.c.
 *
 * A struct cfg_table lists the options of one JSON object. cfg_table_apply
 * walks the table against the input: unknown keys, wrong types, bounds,
 * choices and validators become error lines, and the result is a new
 * "effective" cJSON tree with every default filled in. The same tables
 * drive redaction (cfg_table_redact) and the Markdown reference.
 *
 * Ownership: inputs are borrowed; the effective tree belongs to the caller.
 * Errors are appended to the caller's buffer as "FILE: /ptr: problem" lines
 * and counted in ctx->nerrors; nothing here logs.
 *
 * DESIGN: recursion follows the tables, never the input, so its depth is
 * bounded by the schema. An array element that fails keeps its slot as a
 * JSON null so indexes in later cross-checks still match the input.
 */
#include "options.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "mem.h"

#define CFG_PTR_MAX 4096
#define CFG_TOKEN_SHOWN 64
#define CFG_GOT_SHOWN 48
#define CFG_STRING_MAX 4096

void
cfg_ctx_init(struct cfg_ctx *c, const char *file, struct dg_buf *errors,
             const char *default_region)
{
    c->file = file;
    c->errors = errors;
    dg_buf_init(&c->ptr, CFG_PTR_MAX);
    c->nerrors = 0;
    c->default_region = default_region;
}

void
cfg_ctx_cleanup(struct cfg_ctx *c)
{
    dg_buf_cleanup(&c->ptr);
}

size_t
cfg_ptr_push(struct cfg_ctx *c, const char *token)
{
    size_t old = c->ptr.len;
    char shown[CFG_TOKEN_SHOWN + 4];
    size_t n = 0;
    for (const char *p = token; *p && n < CFG_TOKEN_SHOWN; p++, n++) {
        unsigned char ch = (unsigned char)*p;
        shown[n] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
    }
    if (strlen(token) > CFG_TOKEN_SHOWN) {
        memcpy(shown + n, "...", 3);
        n += 3;
    }
    shown[n] = '\0';
    if (dg_json_ptr_add(&c->ptr, shown) != DG_OK)
        cfg_ptr_pop(c, old); /* too deep to name: keep the parent */
    return old;
}

size_t
cfg_ptr_push_index(struct cfg_ctx *c, size_t i)
{
    char tok[32];
    snprintf(tok, sizeof(tok), "%zu", i);
    return cfg_ptr_push(c, tok);
}

void
cfg_ptr_pop(struct cfg_ctx *c, size_t len)
{
    if (c->ptr.data && len <= c->ptr.len) {
        c->ptr.len = len;
        c->ptr.data[len] = '\0';
    }
}

/* Renders a value for "(got X)": scalars as JSON, strings truncated. */
static void
add_got(struct dg_buf *b, const cJSON *v, int secret)
{
    if (secret) {
        dg_buf_addstr(b, "a secret value");
    } else if (cJSON_IsString(v)) {
        const char *s = v->valuestring ? v->valuestring : "";
        size_t n = 0;
        dg_buf_addc(b, '"');
        for (; s[n] && n < CFG_GOT_SHOWN; n++) {
            unsigned char ch = (unsigned char)s[n];
            if (ch == '"' || ch == '\\')
                dg_buf_printf(b, "\\%c", ch);
            else if (ch == '\n')
                dg_buf_addstr(b, "\\n");
            else if (ch < 0x20 || ch == 0x7f)
                dg_buf_printf(b, "\\u%04x", ch);
            else
                dg_buf_addc(b, (char)ch);
        }
        if (s[n])
            dg_buf_addstr(b, "...");
        dg_buf_addc(b, '"');
    } else if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (d > -9e15 && d < 9e15 && d == (double)(long long)d)
            dg_buf_printf(b, "%lld", (long long)d);
        else
            dg_buf_printf(b, "%g", d);
    } else if (cJSON_IsTrue(v)) {
        dg_buf_addstr(b, "true");
    } else if (cJSON_IsFalse(v)) {
        dg_buf_addstr(b, "false");
    } else if (cJSON_IsNull(v)) {
        dg_buf_addstr(b, "null");
    } else if (cJSON_IsArray(v)) {
        dg_buf_addstr(b, "an array");
    } else {
        dg_buf_addstr(b, "an object");
    }
}

void
cfg_fail(struct cfg_ctx *c, const cJSON *got, int secret, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    c->nerrors++;
    struct dg_buf line;
    dg_buf_init(&line, 2 * CFG_PTR_MAX);
    dg_buf_printf(&line, "%s: %s: %s", c->file,
                  c->ptr.len ? dg_buf_str(&c->ptr) : "/", msg);
    if (got || secret) {
        dg_buf_addstr(&line, " (got ");
        add_got(&line, got, secret);
        dg_buf_addc(&line, ')');
    }
    dg_buf_addc(&line, '\n');
    dg_buf_add(c->errors, line.data, line.len);
    dg_buf_cleanup(&line);
}

static const struct cfg_opt *
find_opt(const struct cfg_table *t, const char *key)
{
    for (size_t i = 0; i < t->nopts; i++)
        if (strcmp(t->opts[i].key, key) == 0)
            return &t->opts[i];
    return NULL;
}

/* "a|b|c" contains s as a whole word. */
static int
choice_ok(const char *choices, const char *s)
{
    size_t n = strlen(s);
    for (const char *p = choices; p && *p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && strncmp(p, s, n) == 0)
            return 1;
        p = bar ? bar + 1 : NULL;
    }
    return 0;
}

/* Appends "\"a\", \"b\", \"c\"" for a choice list. */
static void
add_choices(struct dg_buf *b, const char *choices, const char *sep)
{
    for (const char *p = choices; p && *p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (p != choices)
            dg_buf_addstr(b, sep);
        dg_buf_printf(b, "\"%.*s\"", (int)len, p);
        p = bar ? bar + 1 : NULL;
    }
}

static cJSON *
apply_string(struct cfg_ctx *c, const struct cfg_opt *o, const cJSON *v,
             cfg_check_fn check)
{
    int secret = (o->flags & CFG_SECRET) != 0;
    if (!cJSON_IsString(v) || !v->valuestring) {
        cfg_fail(c, v, secret && !cJSON_IsObject(v) && !cJSON_IsArray(v),
                 "must be a string");
        return NULL;
    }
    const char *s = v->valuestring;
    size_t max =
        o->type == CFG_STRING && o->max > 0 ? (size_t)o->max : CFG_STRING_MAX;
    size_t len = strlen(s);
    if (len == 0) {
        cfg_fail(c, NULL, 0, "must not be empty");
        return NULL;
    }
    if (len > max) {
        cfg_fail(c, NULL, 0,
                 "must be at most %zu characters long (got %zu characters)",
                 max, len);
        return NULL;
    }
    const char *problem = check ? check(s) : NULL;
    if (problem) {
        cfg_fail(c, v, secret, "%s", problem);
        return NULL;
    }
    return cJSON_CreateString(s);
}

static cJSON *
apply_int(struct cfg_ctx *c, const struct cfg_opt *o, const cJSON *v)
{
    if (!cJSON_IsNumber(v)) {
        cfg_fail(c, v, 0, "must be an integer");
        return NULL;
    }
    double d = v->valuedouble;
    if (d != d || d < -9e15 || d > 9e15 || d != (double)(long long)d) {
        cfg_fail(c, v, 0, "must be an integer");
        return NULL;
    }
    long long n = (long long)d;
    if (n < o->min || n > o->max) {
        cfg_fail(c, v, 0, "must be between %lld and %lld", o->min, o->max);
        return NULL;
    }
    return cJSON_CreateNumber((double)n);
}

static cJSON *
apply_enum(struct cfg_ctx *c, const struct cfg_opt *o, const cJSON *v)
{
    if (!cJSON_IsString(v) || !v->valuestring ||
        !choice_ok(o->choices, v->valuestring)) {
        struct dg_buf m;
        dg_buf_init(&m, 1024);
        dg_buf_addstr(&m, "must be one of ");
        add_choices(&m, o->choices, ", ");
        cfg_fail(c, v, 0, "%s", dg_buf_str(&m));
        dg_buf_cleanup(&m);
        return NULL;
    }
    return cJSON_CreateString(v->valuestring);
}

static cJSON *
apply_map(struct cfg_ctx *c, const struct cfg_opt *o, const cJSON *v)
{
    if (!cJSON_IsObject(v)) {
        cfg_fail(c, v, 0, "must be an object of strings");
        return NULL;
    }
    int n = cJSON_GetArraySize(v);
    if (o->max > 0 && n > o->max) {
        cfg_fail(c, NULL, 0, "must have at most %lld entries (got %d)", o->max,
                 n);
        return NULL;
    }
    cJSON *out = cJSON_CreateObject();
    int before = c->nerrors;
    for (const cJSON *e = v->child; e; e = e->next) {
        size_t mark = cfg_ptr_push(c, e->string);
        const char *problem = o->check_key ? o->check_key(e->string) : NULL;
        if (problem) {
            cfg_fail(c, NULL, 0, "%s", problem);
        } else {
            cJSON *ev = apply_string(c, o, e, o->check);
            if (ev)
                cJSON_AddItemToObject(out, e->string, ev);
        }
        cfg_ptr_pop(c, mark);
    }
    if (c->nerrors != before) {
        cJSON_Delete(out);
        return NULL;
    }
    return out;
}

static cJSON *
apply_array(struct cfg_ctx *c, const struct cfg_opt *o, const cJSON *v)
{
    if (!cJSON_IsArray(v)) {
        cfg_fail(c, v, 0, "must be an array");
        return NULL;
    }
    int n = cJSON_GetArraySize(v);
    if (n == 0 && (o->flags & CFG_NONEMPTY)) {
        cfg_fail(c, NULL, 0, "must not be empty");
        return NULL;
    }
    if (o->max > 0 && n > o->max) {
        cfg_fail(c, NULL, 0, "must have at most %lld entries (got %d)", o->max,
                 n);
        return NULL;
    }
    cJSON *out = cJSON_CreateArray();
    size_t i = 0;
    for (const cJSON *e = v->child; e; e = e->next, i++) {
        size_t mark = cfg_ptr_push_index(c, i);
        cJSON *ev = cfg_table_apply(c, o->sub, e);
        cJSON_AddItemToArray(out, ev ? ev : cJSON_CreateNull());
        cfg_ptr_pop(c, mark);
    }
    return out;
}

static cJSON *
apply_value(struct cfg_ctx *c, const struct cfg_opt *o, const cJSON *v)
{
    switch (o->type) {
    case CFG_STRING:
        return apply_string(c, o, v, o->check);
    case CFG_INT:
        return apply_int(c, o, v);
    case CFG_BOOL:
        if (!cJSON_IsBool(v)) {
            cfg_fail(c, v, 0, "must be true or false");
            return NULL;
        }
        return cJSON_CreateBool(cJSON_IsTrue(v));
    case CFG_ENUM:
        return apply_enum(c, o, v);
    case CFG_MAP:
        return apply_map(c, o, v);
    case CFG_OBJECT:
        return cfg_table_apply(c, o->sub, v);
    case CFG_ARRAY:
        return apply_array(c, o, v);
    }
    return NULL;
}

/* The value of an absent, optional option; NULL when it has none. */
static cJSON *
default_value(struct cfg_ctx *c, const struct cfg_opt *o)
{
    if ((o->flags & CFG_DEF_REGION) && c->default_region)
        return cJSON_CreateString(c->default_region);
    if (o->def)
        return cJSON_Parse(o->def);
    switch (o->type) {
    case CFG_OBJECT: {
        cJSON *empty = cJSON_CreateObject();
        cJSON *eff = cfg_table_apply(c, o->sub, empty);
        cJSON_Delete(empty);
        return eff;
    }
    case CFG_MAP:
        return cJSON_CreateObject();
    case CFG_ARRAY:
        return cJSON_CreateArray();
    default:
        return NULL;
    }
}

/* Picks the variant named by the tag key; NULL (reported) when none. */
static const struct cfg_table *
pick_variant(struct cfg_ctx *c, const struct cfg_table *t, const cJSON *in)
{
    const cJSON *tag = cJSON_GetObjectItemCaseSensitive(in, t->tag_key);
    size_t mark = cfg_ptr_push(c, t->tag_key);
    const struct cfg_table *found = NULL;
    if (!tag) {
        cfg_fail(c, NULL, 0, "required");
    } else {
        for (size_t i = 0; cJSON_IsString(tag) && i < t->nvariants; i++)
            if (strcmp(t->variants[i]->doc_name, tag->valuestring) == 0)
                found = t->variants[i];
        if (!found) {
            struct dg_buf m;
            dg_buf_init(&m, 1024);
            dg_buf_addstr(&m, "must be one of ");
            for (size_t i = 0; i < t->nvariants; i++)
                dg_buf_printf(&m, "%s\"%s\"", i ? ", " : "",
                              t->variants[i]->doc_name);
            cfg_fail(c, tag, 0, "%s", dg_buf_str(&m));
            dg_buf_cleanup(&m);
        }
    }
    cfg_ptr_pop(c, mark);
    return found;
}

/* Reports a key that no option of t (or of the chosen variant) names. */
static void
report_unknown(struct cfg_ctx *c, const struct cfg_table *t,
               const struct cfg_table *variant, const char *key)
{
    size_t mark = cfg_ptr_push(c, key);
    int other = 0;
    for (size_t i = 0; variant && i < t->nvariants; i++)
        if (find_opt(t->variants[i], key))
            other = 1;
    if (other)
        cfg_fail(c, NULL, 0, "not allowed with %s \"%s\"", t->tag_key,
                 variant->doc_name);
    else
        cfg_fail(c, NULL, 0, "unknown key");
    cfg_ptr_pop(c, mark);
}

cJSON *
cfg_table_apply(struct cfg_ctx *c, const struct cfg_table *t, const cJSON *in)
{
    if (!cJSON_IsObject(in)) {
        cfg_fail(c, in, 0, "must be an object");
        return NULL;
    }
    const struct cfg_table *opts = t;
    const struct cfg_table *variant = NULL;
    cJSON *out = cJSON_CreateObject();
    if (t->tag_key) {
        variant = pick_variant(c, t, in);
        if (!variant) {
            cJSON_Delete(out);
            return NULL;
        }
        opts = variant;
        cJSON_AddStringToObject(out, t->tag_key, variant->doc_name);
    }
    for (const cJSON *e = in->child; e; e = e->next) {
        if (t->tag_key && strcmp(e->string, t->tag_key) == 0)
            continue;
        if (!find_opt(opts, e->string))
            report_unknown(c, t, variant, e->string);
    }
    for (size_t i = 0; i < opts->nopts; i++) {
        const struct cfg_opt *o = &opts->opts[i];
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(in, o->key);
        size_t mark = cfg_ptr_push(c, o->key);
        cJSON *ev = NULL;
        if (v)
            ev = apply_value(c, o, v);
        else if (o->flags & CFG_REQUIRED)
            cfg_fail(c, NULL, 0, "required");
        else
            ev = default_value(c, o);
        if (ev)
            cJSON_AddItemToObject(out, o->key, ev);
        cfg_ptr_pop(c, mark);
    }
    return out;
}

static const struct cfg_table *
variant_of(const struct cfg_table *t, const cJSON *eff)
{
    const char *tag = dg_json_str(eff, t->tag_key);
    for (size_t i = 0; tag && i < t->nvariants; i++)
        if (strcmp(t->variants[i]->doc_name, tag) == 0)
            return t->variants[i];
    return NULL;
}

void
cfg_table_redact(const struct cfg_table *t, cJSON *eff)
{
    if (!cJSON_IsObject(eff))
        return;
    if (t->tag_key && !(t = variant_of(t, eff)))
        return;
    for (size_t i = 0; i < t->nopts; i++) {
        const struct cfg_opt *o = &t->opts[i];
        cJSON *v = cJSON_GetObjectItemCaseSensitive(eff, o->key);
        if (!v)
            continue;
        if (o->type == CFG_OBJECT) {
            cfg_table_redact(o->sub, v);
        } else if (o->type == CFG_ARRAY) {
            for (cJSON *e = v->child; e; e = e->next)
                cfg_table_redact(o->sub, e);
        } else if (o->type == CFG_MAP && (o->flags & CFG_SECRET)) {
            for (cJSON *e = v->child, *next; e; e = next) {
                next = e->next; /* e is freed by the replacement */
                cJSON_ReplaceItemInObjectCaseSensitive(
                    v, e->string, cJSON_CreateString("<redacted>"));
            }
        } else if (o->flags & CFG_SECRET) {
            cJSON_ReplaceItemInObjectCaseSensitive(
                eff, o->key, cJSON_CreateString("<redacted>"));
        }
    }
}

/* Markdown table cells: escape pipes, keep one line. */
static void
add_cell(struct dg_buf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '|')
            dg_buf_addstr(b, "\\|");
        else if (*s == '\n')
            dg_buf_addc(b, ' ');
        else
            dg_buf_addc(b, *s);
    }
}

static void
add_type_cell(struct dg_buf *b, const struct cfg_opt *o)
{
    switch (o->type) {
    case CFG_STRING:
        dg_buf_addstr(b, "string");
        break;
    case CFG_INT:
        dg_buf_printf(b, "integer %lld..%lld", o->min, o->max);
        break;
    case CFG_BOOL:
        dg_buf_addstr(b, "boolean");
        break;
    case CFG_ENUM:
        add_choices(b, o->choices, " \\| ");
        break;
    case CFG_MAP:
        dg_buf_addstr(b, "object (string to string)");
        break;
    case CFG_OBJECT:
        dg_buf_addstr(b, "object");
        break;
    case CFG_ARRAY:
        dg_buf_addstr(b, "array of objects");
        break;
    }
    if (o->flags & CFG_SECRET)
        dg_buf_addstr(b, o->type == CFG_MAP ? ", values secret" : ", secret");
}

static void
add_default_cell(struct dg_buf *b, const struct cfg_opt *o)
{
    if (o->flags & CFG_REQUIRED)
        dg_buf_addstr(b, "required");
    else if (o->doc_default)
        add_cell(b, o->doc_default);
    else if (o->def)
        dg_buf_printf(b, "`%s`", o->def);
    else if (o->type == CFG_OBJECT)
        dg_buf_addstr(b, "see below");
    else if (o->type == CFG_MAP)
        dg_buf_addstr(b, "`{}`");
    else if (o->type == CFG_ARRAY)
        dg_buf_addstr(b, "`[]`");
    else
        dg_buf_addstr(b, "unset");
}

static void
add_rows(const struct cfg_table *t, const char *tag_key, const char *tag,
         const char *title, struct dg_buf *b)
{
    dg_buf_printf(b, "### `%s`\n\n", title);
    dg_buf_addstr(b, "| key | type | default | description |\n"
                     "|---|---|---|---|\n");
    if (tag_key)
        dg_buf_printf(b,
                      "| `%s` | `\"%s\"` | required | selects this "
                      "variant |\n",
                      tag_key, tag);
    for (size_t i = 0; i < t->nopts; i++) {
        const struct cfg_opt *o = &t->opts[i];
        dg_buf_printf(b, "| `%s` | ", o->key);
        add_type_cell(b, o);
        dg_buf_addstr(b, " | ");
        add_default_cell(b, o);
        dg_buf_addstr(b, " | ");
        add_cell(b, o->desc ? o->desc : "");
        dg_buf_addstr(b, " |\n");
    }
    dg_buf_addc(b, '\n');
}

static dg_rc
markdown_subs(const struct cfg_table *t, const char *prefix, struct dg_buf *b)
{
    dg_rc rc = DG_OK;
    for (size_t i = 0; rc == DG_OK && i < t->nopts; i++) {
        const struct cfg_opt *o = &t->opts[i];
        if (o->type != CFG_OBJECT && o->type != CFG_ARRAY)
            continue;
        char *path = dg_sprintf("%s%s%s%s", prefix, *prefix ? "." : "", o->key,
                                o->type == CFG_ARRAY ? "[]" : "");
        rc = cfg_table_markdown(o->sub, path, b);
        dg_free(path);
    }
    return rc;
}

dg_rc
cfg_table_markdown(const struct cfg_table *t, const char *prefix,
                   struct dg_buf *b)
{
    size_t before = b->len;
    if (!t->tag_key) {
        add_rows(t, NULL, NULL, *prefix ? prefix : "(top level)", b);
        return markdown_subs(t, prefix, b);
    }
    dg_rc rc = DG_OK;
    for (size_t i = 0; rc == DG_OK && i < t->nvariants; i++) {
        const struct cfg_table *v = t->variants[i];
        char *title =
            dg_sprintf("%s (%s \"%s\")", prefix, t->tag_key, v->doc_name);
        add_rows(v, t->tag_key, v->doc_name, title, b);
        dg_free(title);
        rc = markdown_subs(v, prefix, b);
    }
    /* dg_buf keeps appends atomic; a short reference means b->max. */
    if (rc == DG_OK && b->len == before)
        rc = DG_EINVALID;
    return rc;
}
