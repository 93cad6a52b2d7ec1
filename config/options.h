#ifndef DRGATE_OPTIONS_H
#define DRGATE_OPTIONS_H
/*
 * Table-driven option engine (STYLE.md "Configuration"). A table lists the
 * options of one JSON object; the same table drives parsing, validation,
 * defaults, the redacted dump and the Markdown reference. Tables may nest
 * (objects, arrays of objects) and may be tagged unions: a tag key ("type",
 * "source") selects one variant table.
 */
#include <stddef.h>

#include <cjson/cJSON.h>

#include "buf.h"

enum cfg_type {
    CFG_STRING,
    CFG_INT,
    CFG_BOOL,
    CFG_ENUM,   /* a string out of opt->choices ("a|b|c") */
    CFG_MAP,    /* object of string -> string */
    CFG_OBJECT, /* nested object described by opt->sub */
    CFG_ARRAY,  /* array of objects described by opt->sub */
};

#define CFG_REQUIRED 0x1u
#define CFG_SECRET 0x2u     /* the value (maps: every value) is secret */
#define CFG_NONEMPTY 0x4u   /* arrays: at least one element */
#define CFG_DEF_REGION 0x8u /* default is the environment's region */

/* Validators return NULL when the value is fine, else a static problem
 * description such as "must be an SNS topic ARN". */
typedef const char *(*cfg_check_fn)(const char *s);

struct cfg_table;

struct cfg_opt {
    const char *key;
    enum cfg_type type;
    unsigned flags;
    const char *def;     /* default as JSON text ("20", "\"batch\""); or NULL */
    long long min, max;  /* INT bounds; STRING max length; ARRAY/MAP max size */
    const char *choices; /* ENUM: "always|batch|never" */
    cfg_check_fn check;  /* STRING, MAP values */
    cfg_check_fn check_key;      /* MAP keys */
    const struct cfg_table *sub; /* OBJECT, ARRAY elements */
    const char *doc_default;     /* overrides the docs' default column */
    const char *desc;            /* one line */
};

struct cfg_table {
    const char *doc_name; /* "sources[]"; for variants the tag value */
    const struct cfg_opt *opts;
    size_t nopts;
    const char *tag_key; /* tagged union: key that selects a variant */
    const struct cfg_table *const *variants;
    size_t nvariants;
};

/* Validation context: where errors go and the current JSON pointer. */
struct cfg_ctx {
    const char *file;      /* name used in messages */
    struct dg_buf *errors; /* caller's; one line per problem */
    struct dg_buf ptr;     /* current JSON pointer */
    int nerrors;
    const char *default_region;
};

/* Cannot fail; cfg_ctx_cleanup frees the pointer buffer. */
void cfg_ctx_init(struct cfg_ctx *c, const char *file, struct dg_buf *errors,
                  const char *default_region);
void cfg_ctx_cleanup(struct cfg_ctx *c);
/* Appends one RFC 6901 token (truncated and sanitized for messages) and
 * returns the previous length for cfg_ptr_pop. */
size_t cfg_ptr_push(struct cfg_ctx *c, const char *token);
size_t cfg_ptr_push_index(struct cfg_ctx *c, size_t i);
void cfg_ptr_pop(struct cfg_ctx *c, size_t len);
/* Appends "FILE: /pointer: problem (got X)\n". got may be NULL (no suffix);
 * a secret got is rendered as "a secret value". */
void cfg_fail(struct cfg_ctx *c, const cJSON *got, int secret, const char *fmt,
              ...) __attribute__((format(printf, 4, 5)));

/* Validates in against t and returns the effective object (defaults
 * filled, caller deletes) or NULL when in is not a usable object. Every
 * problem found is reported through c. */
cJSON *cfg_table_apply(struct cfg_ctx *c, const struct cfg_table *t,
                       const cJSON *in);
/* Replaces every SECRET value in eff (an effective object of t) with
 * "<redacted>". */
void cfg_table_redact(const struct cfg_table *t, cJSON *eff);
/* Appends the Markdown reference of t and the tables below it; prefix is
 * the dotted path of t ("" for the root). */
dg_rc cfg_table_markdown(const struct cfg_table *t, const char *prefix,
                         struct dg_buf *b);

#endif
