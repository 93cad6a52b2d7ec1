#ifndef DRGATE_JSON_H
#define DRGATE_JSON_H
/*
 * JSON helpers over cJSON: bounded parsing, canonical serialization (the
 * form plan digests and approval signatures are computed over), JSON
 * pointer escaping for error messages, and typed accessors.
 */
#include <stddef.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "err.h"

#define DG_JSON_MAX_DEPTH 64
#define DG_JSON_MAX_MESSAGE (256 * 1024)

/* Parses exactly len bytes (no NUL needed). Refuses input longer than
 * max_len, nested deeper than max_depth, with trailing garbage, or with
 * duplicate keys in one object. Returns a tree the caller frees with
 * cJSON_Delete, or NULL with err set (DG_EINVALID, code "too_large",
 * "too_deep", "bad_json", "duplicate_key"). */
cJSON *dg_json_parse(const char *s, size_t len, size_t max_len, int max_depth,
                     struct dg_err *err);

/* Appends the canonical form of v: object keys sorted bytewise, no
 * insignificant white space, integers (|v| < 2^53) without fraction or
 * exponent, other numbers as %.17g, strings with only the escapes JSON
 * requires (", \, control characters as \u00XX). DG_EINVALID past b->max or
 * for non-finite numbers. */
dg_rc dg_json_canonical(const cJSON *v, struct dg_buf *b);
/* Same, as a new string the caller frees; NULL on failure. */
char *dg_json_canonical_str(const cJSON *v, size_t max);

/* Appends the RFC 6901 escaped form of one reference token ("~0", "~1"). */
dg_rc dg_json_ptr_add(struct dg_buf *b, const char *token);

/* Typed accessors: NULL (or the default) when missing or of another type. */
const char *dg_json_str(const cJSON *obj, const char *key);
const cJSON *dg_json_obj(const cJSON *obj, const char *key);
const cJSON *dg_json_arr(const cJSON *obj, const char *key);
/* 1 and sets *out when key holds a number that is an integer. */
int dg_json_int(const cJSON *obj, const char *key, long long *out);

#endif
