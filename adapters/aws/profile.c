/*
 * profile.c - the AWS shared config and credentials files, parsed the way
 * botocore's configloader parses them (Python's RawConfigParser with its
 * defaults, then build_profile_map), and the profile resolution of
 * botocore's AssumeRoleProvider and profile providers.
 *
 * Ownership: a parsed file owns every string; values are cleansed on free
 * because a credentials file holds secrets. A profile_plan owns copies.
 * Errors: DG_EINVALID with a reason code and a line number; messages name
 * profiles and keys, never values.
 *
 * DESIGN: RawConfigParser reads line by line. A line whose stripped form
 * starts with '#' or ';' is a comment; an empty line is kept inside a
 * value; a line indented deeper than the last section or option line
 * continues that option's value; otherwise it is a section header
 * ("[" anything "]", trailing text ignored) or "key = value" / "key: value"
 * (split at the first delimiter). Duplicate sections and duplicate keys
 * within one section are errors (strict mode), and so is a key before any
 * section. Joined values are right-stripped; one starting with a newline
 * is a nested block whose every line must hold '='. Indentation is counted
 * in characters (code points) and white space is Python's str.isspace, so
 * the parser first checks the file is valid UTF-8, as Python's decoder
 * would. NUL bytes are refused (Python would accept them; no real file
 * has them).
 */
#include "profile.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "buf.h"
#include "mem.h"
#include "shlex.h"

struct pf_key {
    char *key;
    struct dg_buf val; /* while parsing */
    char *value;       /* after finalize */
};

struct pf_section {
    char *name;
    char *profile;     /* the profile this section defines, or NULL */
    char *sso_session; /* [sso-session NAME]: NAME, else NULL */
    struct pf_key *keys;
    size_t nkeys, cap;
};

struct profile_file {
    enum profile_kind kind;
    struct pf_section *secs;
    size_t nsecs, cap;
    struct pf_section defaults; /* [DEFAULT] */
};

/* ---- character classes ------------------------------------------------ */

/* Byte length of the UTF-8 sequence at p if it is valid, else 0. */
static size_t
utf8_len(const unsigned char *p, const unsigned char *end)
{
    unsigned c = p[0];
    size_t n;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if ((size_t)(end - p) < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    if (cp >= 0xd800 && cp <= 0xdfff)
        return 0;
    return n;
}

/* Bytes of the Python-whitespace character at p (valid UTF-8), else 0. */
static size_t
ws_len(const char *s, const char *end)
{
    const unsigned char *p = (const unsigned char *)s;
    if (p >= (const unsigned char *)end)
        return 0;
    unsigned c = p[0];
    if (c == ' ' || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f))
        return 1;
    size_t n = utf8_len(p, (const unsigned char *)end);
    if (n == 2 && c == 0xc2 && (p[1] == 0x85 || p[1] == 0xa0))
        return 2;
    if (n == 3) {
        uint32_t cp =
            ((c & 0x0fu) << 12) | ((p[1] & 0x3fu) << 6) | (p[2] & 0x3fu);
        if (cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 ||
            cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000)
            return 3;
    }
    return 0;
}

static size_t
char_len(const char *s, const char *end)
{
    size_t n = utf8_len((const unsigned char *)s, (const unsigned char *)end);
    return n ? n : 1;
}

/* Python's str.rstrip(): moves *e back. */
static void
rstrip(const char *b, const char **e)
{
    size_t n;
    /* Walk back over UTF-8 continuation bytes to each start. */
    while (*e > b) {
        const char *p = *e - 1;
        while (p > b && ((unsigned char)*p & 0xc0) == 0x80)
            p--;
        n = ws_len(p, *e);
        if (n == 0 || p + n != *e)
            break;
        *e = p;
    }
}

/* Python's str.strip(): narrows [*b, *e). */
static void
strip(const char **b, const char **e)
{
    size_t n;
    while (*b < *e && (n = ws_len(*b, *e)) > 0)
        *b += n;
    rstrip(*b, e);
}

/* ---- building the file ------------------------------------------------ */

static void
section_free(struct pf_section *s)
{
    for (size_t i = 0; i < s->nkeys; i++) {
        struct pf_key *k = &s->keys[i];
        if (k->val.data)
            OPENSSL_cleanse(k->val.data, k->val.cap);
        dg_buf_cleanup(&k->val);
        if (k->value) {
            OPENSSL_cleanse(k->value, strlen(k->value));
            dg_free(k->value);
        }
        dg_free(k->key);
    }
    dg_free(s->keys);
    dg_free(s->name);
    dg_free(s->profile);
    dg_free(s->sso_session);
}

void
profile_file_free(struct profile_file *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->nsecs; i++)
        section_free(&f->secs[i]);
    section_free(&f->defaults);
    dg_free(f->secs);
    dg_free(f);
}

static struct pf_key *
section_find(const struct pf_section *s, const char *key)
{
    for (size_t i = 0; i < s->nkeys; i++)
        if (strcmp(s->keys[i].key, key) == 0)
            return &s->keys[i];
    return NULL;
}

static struct pf_key *
section_add(struct pf_section *s, char *key)
{
    if (s->nkeys == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 8;
        s->keys = dg_realloc(s->keys, s->cap * sizeof(*s->keys));
    }
    struct pf_key *k = &s->keys[s->nkeys++];
    memset(k, 0, sizeof(*k));
    k->key = key;
    dg_buf_init(&k->val, PROFILE_MAX_FILE + 1);
    return k;
}

/* build_profile_map: a section named PREFIX followed by more, shlex-split
 * (shlex.c) into exactly two words, defines the second word ("profile
 * NAME" a profile, "sso-session NAME" an sso_session); a copy of it, else
 * NULL (other names, more or fewer words, shlex's ValueError). */
static char *
section_second_word(const char *name, const char *prefix)
{
    if (strncmp(name, prefix, strlen(prefix)) != 0)
        return NULL;
    char **w;
    size_t n;
    if (shlex_split(name, 2, &w, &n, NULL) != DG_OK)
        return NULL;
    char *second = n == 2 ? dg_strdup(w[1]) : NULL;
    shlex_free(w);
    return second;
}

/* botocore build_profile_map: which profile a config section defines. */
static char *
config_section_profile(const char *name)
{
    if (strcmp(name, "default") == 0)
        return dg_strdup(name);
    return section_second_word(name, "profile");
}

/* Right-strips the joined value and checks a nested block. */
static dg_rc
finalize_key(struct pf_key *k, const char *sect, struct dg_err *err)
{
    size_t len = k->val.len;
    char *v = dg_buf_detach(&k->val);
    const char *e = v + len;
    rstrip(v, &e);
    v[e - v] = '\0';
    k->value = v;
    if (v[0] != '\n')
        return DG_OK;
    /* Nested block: every non-empty line needs '='. */
    const char *line = v;
    while (*line) {
        const char *nl = line;
        while (*nl && *nl != '\n' && *nl != '\r' && *nl != '\v' &&
               *nl != '\f' && !(*nl >= 0x1c && *nl <= 0x1e))
            nl++;
        const char *lb = line, *le = nl;
        strip(&lb, &le);
        if (lb < le && !memchr(lb, '=', (size_t)(le - lb)))
            return dg_err_setc(err, DG_EINVALID, "bad_nested",
                               "[%s] %s: nested line without '='", sect,
                               k->key);
        line = *nl ? nl + 1 : nl;
    }
    return DG_OK;
}

static dg_rc
finalize_section(struct pf_section *s, struct dg_err *err)
{
    for (size_t i = 0; i < s->nkeys; i++) {
        dg_rc rc =
            finalize_key(&s->keys[i], s->name ? s->name : "DEFAULT", err);
        if (rc != DG_OK)
            return rc;
    }
    return DG_OK;
}

/* ---- the parser --------------------------------------------------------- */

struct parser {
    struct profile_file *f;
    struct pf_section *cur; /* NULL before the first header */
    struct pf_key *opt;     /* the option continuation lines extend */
    size_t indent_level;
    int lineno;
};

static dg_rc
parse_header(struct parser *ps, const char *b, const char *e,
             struct dg_err *err)
{
    /* SECTCRE: "[" (.+) "]" matched at the start; greedy, so the header
     * runs to the last ']' and anything after it is ignored. */
    const char *close = NULL;
    for (const char *p = e; p > b + 1; p--)
        if (p[-1] == ']') {
            close = p - 1;
            break;
        }
    char *name = dg_strndup(b + 1, (size_t)(close - b - 1));
    struct profile_file *f = ps->f;
    ps->opt = NULL;
    if (strcmp(name, "DEFAULT") == 0) {
        ps->cur = &f->defaults;
        dg_free(name);
        return DG_OK;
    }
    for (size_t i = 0; i < f->nsecs; i++)
        if (strcmp(f->secs[i].name, name) == 0) {
            dg_err_setc(err, DG_EINVALID, "duplicate_section",
                        "line %d: section [%s] appears twice", ps->lineno,
                        name);
            dg_free(name);
            return DG_EINVALID;
        }
    if (f->nsecs == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 8;
        f->secs = dg_realloc(f->secs, f->cap * sizeof(*f->secs));
    }
    struct pf_section *s = &f->secs[f->nsecs++];
    memset(s, 0, sizeof(*s));
    s->name = name;
    s->profile = f->kind == PROFILE_CONFIG ? config_section_profile(name)
                                           : dg_strdup(name);
    s->sso_session = f->kind == PROFILE_CONFIG
                         ? section_second_word(name, "sso-session")
                         : NULL;
    ps->cur = s;
    return DG_OK;
}

static dg_rc
parse_option(struct parser *ps, const char *b, const char *e,
             struct dg_err *err)
{
    const char *d = b;
    while (d < e && *d != '=' && *d != ':')
        d++;
    if (d == e)
        return dg_err_setc(err, DG_EINVALID, "bad_line",
                           "line %d: expected 'key = value'", ps->lineno);
    const char *kb = b, *ke = d;
    strip(&kb, &ke);
    if (kb == ke)
        return dg_err_setc(err, DG_EINVALID, "bad_line", "line %d: empty key",
                           ps->lineno);
    char *key = dg_strndup(kb, (size_t)(ke - kb));
    for (char *p = key; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    const char *sname = ps->cur->name ? ps->cur->name : "DEFAULT";
    if (section_find(ps->cur, key)) {
        dg_err_setc(err, DG_EINVALID, "duplicate_key",
                    "line %d: key %s appears twice in [%s]", ps->lineno, key,
                    sname);
        dg_free(key);
        return DG_EINVALID;
    }
    const char *vb = d + 1, *ve = e;
    strip(&vb, &ve);
    ps->opt = section_add(ps->cur, key);
    return dg_buf_add(&ps->opt->val, vb, (size_t)(ve - vb));
}

static dg_rc
parse_line(struct parser *ps, const char *line, const char *end,
           struct dg_err *err)
{
    const char *b = line, *e = end;
    strip(&b, &e);
    if (b < e && (*b == '#' || *b == ';'))
        return DG_OK; /* full-line comment: never part of a value */
    if (b == e) {
        /* empty_lines_in_values: an empty line joins the current value */
        if (ps->cur && ps->opt)
            return dg_buf_addc(&ps->opt->val, '\n');
        return DG_OK;
    }
    size_t indent = 0;
    for (const char *p = line; p < b; p += char_len(p, end))
        indent++;
    if (ps->cur && ps->opt && indent > ps->indent_level) {
        if (dg_buf_addc(&ps->opt->val, '\n') != DG_OK ||
            dg_buf_add(&ps->opt->val, b, (size_t)(e - b)) != DG_OK)
            return dg_err_setc(err, DG_EINVALID, "too_large",
                               "line %d: value too long", ps->lineno);
        return DG_OK;
    }
    ps->indent_level = indent;
    if (*b == '[' && e - b >= 3 && memchr(b + 2, ']', (size_t)(e - b - 2)))
        return parse_header(ps, b, e, err);
    if (!ps->cur)
        return dg_err_setc(err, DG_EINVALID, "missing_section",
                           "line %d: key outside any [section]", ps->lineno);
    return parse_option(ps, b, e, err);
}

dg_rc
profile_file_parse(const char *data, size_t len, enum profile_kind kind,
                   struct profile_file **out, struct dg_err *err)
{
    *out = NULL;
    if (len > PROFILE_MAX_FILE)
        return dg_err_setc(err, DG_EINVALID, "too_large",
                           "file is larger than %u bytes", PROFILE_MAX_FILE);
    const unsigned char *u = (const unsigned char *)data;
    for (size_t i = 0; i < len;) {
        if (u[i] == 0)
            return dg_err_setc(err, DG_EINVALID, "nul_byte",
                               "file holds a NUL byte");
        size_t n = utf8_len(u + i, u + len);
        if (!n)
            return dg_err_setc(err, DG_EINVALID, "bad_utf8",
                               "file is not valid UTF-8 (byte %zu)", i);
        i += n;
    }
    struct parser ps = {0};
    ps.f = dg_calloc(1, sizeof(*ps.f));
    ps.f->kind = kind;
    dg_rc rc = DG_OK;
    const char *p = data, *end = data + len;
    while (p < end && rc == DG_OK) {
        const char *nl = p;
        while (nl < end && *nl != '\n' && *nl != '\r')
            nl++;
        ps.lineno++;
        if ((size_t)(nl - p) > PROFILE_MAX_LINE) {
            rc = dg_err_setc(err, DG_EINVALID, "line_too_long",
                             "line %d is longer than %u bytes", ps.lineno,
                             PROFILE_MAX_LINE);
            break;
        }
        rc = parse_line(&ps, p, nl, err);
        if (nl < end && *nl == '\r' && nl + 1 < end && nl[1] == '\n')
            nl++;
        p = nl < end ? nl + 1 : nl;
    }
    if (rc == DG_OK)
        rc = finalize_section(&ps.f->defaults, err);
    for (size_t i = 0; rc == DG_OK && i < ps.f->nsecs; i++)
        rc = finalize_section(&ps.f->secs[i], err);
    if (rc != DG_OK) {
        profile_file_free(ps.f);
        return rc;
    }
    *out = ps.f;
    return DG_OK;
}

/* ---- lookups ------------------------------------------------------------ */

/* The section defining profile name (sso: sso-session name), or NULL. */
static const struct pf_section *
find_section(const struct profile_file *f, const char *name, int sso)
{
    if (!f || !name)
        return NULL;
    /* Later sections replace earlier ones (dict.update in file order). */
    for (size_t i = f->nsecs; i-- > 0;) {
        const char *defines = sso ? f->secs[i].sso_session : f->secs[i].profile;
        if (defines && strcmp(defines, name) == 0)
            return &f->secs[i];
    }
    return NULL;
}

/* key in section s, else in [DEFAULT] (RawConfigParser's defaults). */
static const char *
section_get(const struct profile_file *f, const struct pf_section *s,
            const char *key)
{
    if (!s)
        return NULL;
    const struct pf_key *k = section_find(s, key);
    if (!k)
        k = section_find(&f->defaults, key);
    return k ? k->value : NULL;
}

int
profile_file_has_sso_session(const struct profile_file *f, const char *session)
{
    return find_section(f, session, 1) != NULL;
}

const char *
profile_file_sso_session_get(const struct profile_file *f, const char *session,
                             const char *key)
{
    return section_get(f, find_section(f, session, 1), key);
}

int
profile_file_has(const struct profile_file *f, const char *profile)
{
    return find_section(f, profile, 0) != NULL;
}

const char *
profile_file_get(const struct profile_file *f, const char *profile,
                 const char *key)
{
    return section_get(f, find_section(f, profile, 0), key);
}

/* ---- resolution --------------------------------------------------------- */

static void
cleanse_free(char *s)
{
    if (s) {
        OPENSSL_cleanse(s, strlen(s));
        dg_free(s);
    }
}

void
profile_plan_cleanup(struct profile_plan *p)
{
    if (!p)
        return;
    dg_free(p->base_profile);
    cleanse_free(p->access_key_id);
    cleanse_free(p->secret_access_key);
    cleanse_free(p->session_token);
    dg_free(p->token_file);
    dg_free(p->wi_role_arn);
    dg_free(p->wi_session_name);
    cleanse_free(p->process);
    dg_free(p->region);
    dg_free(p->sso_session);
    dg_free(p->sso_start_url);
    dg_free(p->sso_region);
    dg_free(p->sso_account_id);
    dg_free(p->sso_role_name);
    for (size_t i = 0; i < p->nroles; i++) {
        dg_free(p->roles[i].profile);
        dg_free(p->roles[i].role_arn);
        dg_free(p->roles[i].session_name);
        cleanse_free(p->roles[i].external_id);
    }
    memset(p, 0, sizeof(*p));
}

/* session.full_config: credentials file values override the config's. */
static const char *
merged_get(const struct profile_file *config, const struct profile_file *creds,
           const char *profile, const char *key)
{
    const char *v = profile_file_get(creds, profile, key);
    return v ? v : profile_file_get(config, profile, key);
}

static int
merged_has(const struct profile_file *config, const struct profile_file *creds,
           const char *profile)
{
    return profile_file_has(creds, profile) ||
           profile_file_has(config, profile);
}

int
profile_is_assume_role(const struct profile_file *config,
                       const struct profile_file *creds, const char *profile)
{
    return merged_get(config, creds, profile, "role_arn") &&
           !merged_get(config, creds, profile, "web_identity_token_file");
}

static int
has_static(const struct profile_file *config, const struct profile_file *creds,
           const char *profile)
{
    return merged_get(config, creds, profile, "aws_access_key_id") ||
           merged_get(config, creds, profile, "aws_secret_access_key");
}

/* Static keys from one file (botocore SharedCredentialProvider and
 * ConfigProvider): 1 found, 0 none, -1 partial. */
int
profile_static_keys(const struct profile_file *f, const char *profile,
                    const char *fname, struct profile_plan *plan,
                    struct dg_err *err)
{
    const char *ak = profile_file_get(f, profile, "aws_access_key_id");
    if (!ak)
        return 0;
    const char *sk = profile_file_get(f, profile, "aws_secret_access_key");
    if (!sk) {
        dg_err_setc(err, DG_EINVALID, "bad_profile",
                    "profile %s in the %s file has aws_access_key_id "
                    "without aws_secret_access_key",
                    profile, fname);
        return -1;
    }
    const char *tok = profile_file_get(f, profile, "aws_security_token");
    if (!tok)
        tok = profile_file_get(f, profile, "aws_session_token");
    plan->base = PROFILE_BASE_STATIC;
    plan->base_profile = dg_strdup(profile);
    plan->base_file = fname;
    plan->access_key_id = dg_strdup(ak);
    plan->secret_access_key = dg_strdup(sk);
    plan->session_token = tok ? dg_strdup(tok) : NULL;
    return 1;
}

dg_rc
profile_resolve_plain(const struct profile_file *config,
                      const struct profile_file *creds, const char *profile,
                      struct profile_plan *plan, struct dg_err *err)
{
    plan->base = PROFILE_BASE_NONE;
    const char *tf =
        merged_get(config, creds, profile, "web_identity_token_file");
    if (tf && *tf) {
        const char *arn = merged_get(config, creds, profile, "role_arn");
        if (!arn || !*arn)
            return dg_err_setc(err, DG_EINVALID, "bad_profile",
                               "profile %s has web_identity_token_file "
                               "but no role_arn",
                               profile);
        const char *sn =
            merged_get(config, creds, profile, "role_session_name");
        plan->base = PROFILE_BASE_WEB_IDENTITY;
        plan->base_profile = dg_strdup(profile);
        plan->token_file = dg_strdup(tf);
        plan->wi_role_arn = dg_strdup(arn);
        plan->wi_session_name = sn ? dg_strdup(sn) : NULL;
        return DG_OK;
    }
    return profile_resolve_keys(config, creds, profile, plan, err);
}

/* botocore SSOProvider._load_sso_config: 1 an SSO profile (plan filled),
 * 0 not one, -1 invalid (err). */
static int
resolve_sso(const struct profile_file *config, const struct profile_file *creds,
            const char *profile, struct profile_plan *plan, struct dg_err *err)
{
    static const char *const keys[] = {"sso_start_url", "sso_region"};
    const char *acct = merged_get(config, creds, profile, "sso_account_id");
    const char *role = merged_get(config, creds, profile, "sso_role_name");
    if (!acct && !role)
        return 0;
    const char *sess = merged_get(config, creds, profile, "sso_session");
    const char *vals[2];
    for (size_t i = 0; i < 2; i++)
        vals[i] = merged_get(config, creds, profile, keys[i]);
    if (sess) {
        /* _resolve_sso_session_reference: the session's values, which
         * must agree with any the profile also sets */
        if (!profile_file_has_sso_session(config, sess)) {
            dg_err_setc(err, DG_EINVALID, "bad_profile",
                        "profile %s: sso_session %s has no [sso-session %s] "
                        "section in the config file",
                        profile, sess, sess);
            return -1;
        }
        for (size_t i = 0; i < 2; i++) {
            const char *sv =
                profile_file_sso_session_get(config, sess, keys[i]);
            if (!sv)
                continue;
            if (vals[i] && strcmp(vals[i], sv) != 0) {
                dg_err_setc(err, DG_EINVALID, "bad_profile",
                            "profile %s: %s differs between the profile and "
                            "sso-session %s",
                            profile, keys[i], sess);
                return -1;
            }
            vals[i] = sv;
        }
    }
    const char *missing = !vals[0]   ? "sso_start_url"
                          : !vals[1] ? "sso_region"
                          : !acct    ? "sso_account_id"
                          : !role    ? "sso_role_name"
                                     : NULL;
    if (missing) {
        dg_err_setc(err, DG_EINVALID, "bad_profile",
                    "profile %s is configured for SSO but lacks %s", profile,
                    missing);
        return -1;
    }
    plan->base = PROFILE_BASE_SSO;
    plan->base_profile = dg_strdup(profile);
    plan->sso_session = sess ? dg_strdup(sess) : NULL;
    plan->sso_start_url = dg_strdup(vals[0]);
    plan->sso_region = dg_strdup(vals[1]);
    plan->sso_account_id = dg_strdup(acct);
    plan->sso_role_name = dg_strdup(role);
    return 1;
}

dg_rc
profile_resolve_keys(const struct profile_file *config,
                     const struct profile_file *creds, const char *profile,
                     struct profile_plan *plan, struct dg_err *err)
{
    plan->base = PROFILE_BASE_NONE;
    int r = resolve_sso(config, creds, profile, plan, err);
    if (r == 0)
        r = profile_static_keys(creds, profile, "credentials", plan, err);
    if (r == 0) {
        /* ProcessProvider reads session.full_config */
        const char *cmd =
            merged_get(config, creds, profile, "credential_process");
        if (cmd && *cmd) {
            plan->base = PROFILE_BASE_PROCESS;
            plan->base_profile = dg_strdup(profile);
            plan->process = dg_strdup(cmd);
            r = 1;
        }
    }
    if (r == 0)
        r = profile_static_keys(config, profile, "config", plan, err);
    return r < 0 ? DG_EINVALID : DG_OK;
}

struct resolver {
    const struct profile_file *config, *creds;
    const char *visited[PROFILE_MAX_CHAIN + 1];
    size_t nvisited;
};

static int
visited(const struct resolver *r, const char *profile)
{
    for (size_t i = 0; i < r->nvisited; i++)
        if (strcmp(r->visited[i], profile) == 0)
            return 1;
    return 0;
}

static dg_rc
push_role(struct resolver *r, const char *profile, struct profile_plan *plan,
          struct dg_err *err)
{
    if (plan->nroles == PROFILE_MAX_CHAIN)
        return dg_err_setc(err, DG_EINVALID, "too_deep",
                           "profile %s: more than %d chained roles", profile,
                           PROFILE_MAX_CHAIN);
    struct profile_role *role = &plan->roles[plan->nroles++];
    const char *sn =
        merged_get(r->config, r->creds, profile, "role_session_name");
    const char *ext = merged_get(r->config, r->creds, profile, "external_id");
    const char *dur =
        merged_get(r->config, r->creds, profile, "duration_seconds");
    role->profile = dg_strdup(profile);
    role->role_arn =
        dg_strdup(merged_get(r->config, r->creds, profile, "role_arn"));
    role->session_name = sn ? dg_strdup(sn) : NULL;
    role->external_id = ext ? dg_strdup(ext) : NULL;
    role->duration_seconds = 0;
    if (dur) {
        /* int(): optional sign and white space around digits; anything
         * else is ignored, as botocore ignores it */
        const char *p = dur;
        long v = 0;
        int ok = *p != '\0';
        for (; *p; p++) {
            if (*p < '0' || *p > '9' || v > 1000000) {
                ok = 0;
                break;
            }
            v = v * 10 + (*p - '0');
        }
        if (ok && v > 0)
            role->duration_seconds = (int)v;
    }
    return DG_OK;
}

/* _load_creds_via_assume_role, unrolled: walk source_profile links from
 * the profile to the base, then record the roles innermost first. */
static dg_rc
resolve_role(struct resolver *r, const char *profile, struct profile_plan *plan,
             struct dg_err *err)
{
    const char *stack[PROFILE_MAX_CHAIN];
    size_t n = 0;
    const char *cur = profile;
    dg_rc rc = DG_OK;
    for (;;) {
        const char *sp = merged_get(r->config, r->creds, cur, "source_profile");
        const char *cs =
            merged_get(r->config, r->creds, cur, "credential_source");
        if (sp && cs)
            return dg_err_setc(err, DG_EINVALID, "bad_profile",
                               "profile %s has both source_profile and "
                               "credential_source",
                               cur);
        if (!sp && !cs)
            return dg_err_setc(err, DG_EINVALID, "bad_profile",
                               "profile %s has role_arn but neither "
                               "source_profile nor credential_source",
                               cur);
        if (n == PROFILE_MAX_CHAIN)
            return dg_err_setc(err, DG_EINVALID, "too_deep",
                               "profile %s: more than %d chained roles",
                               profile, PROFILE_MAX_CHAIN);
        stack[n++] = cur;
        if (cs) {
            if (strcmp(cs, "Environment") == 0)
                plan->base = PROFILE_BASE_ENV;
            else if (strcmp(cs, "EcsContainer") == 0)
                plan->base = PROFILE_BASE_ECS;
            else if (strcmp(cs, "Ec2InstanceMetadata") == 0)
                plan->base = PROFILE_BASE_IMDS;
            else
                return dg_err_setc(err, DG_EINVALID, "bad_profile",
                                   "profile %s: credential_source must be "
                                   "Environment, EcsContainer or "
                                   "Ec2InstanceMetadata",
                                   cur);
            plan->base_profile = dg_strdup(cur);
            break;
        }
        if (!merged_has(r->config, r->creds, sp))
            return dg_err_setc(err, DG_EINVALID, "bad_profile",
                               "profile %s: source_profile %s does not exist",
                               cur, sp);
        if (visited(r, sp) &&
            (strcmp(sp, cur) != 0 || !has_static(r->config, r->creds, sp)))
            return dg_err_setc(err, DG_EINVALID, "cycle",
                               "profile %s: source_profile %s forms a cycle",
                               cur, sp);
        if (r->nvisited == PROFILE_MAX_CHAIN + 1)
            return dg_err_setc(err, DG_EINVALID, "too_deep",
                               "profile %s: more than %d chained profiles",
                               profile, PROFILE_MAX_CHAIN);
        r->visited[r->nvisited++] = sp;
        /* _resolve_credentials_from_profile */
        if (has_static(r->config, r->creds, sp) ||
            !profile_is_assume_role(r->config, r->creds, sp)) {
            rc = profile_resolve_plain(r->config, r->creds, sp, plan, err);
            if (rc != DG_OK)
                return rc;
            if (plan->base == PROFILE_BASE_NONE)
                return dg_err_setc(err, DG_EINVALID, "bad_profile",
                                   "source profile %s has no credentials", sp);
            break;
        }
        cur = sp;
    }
    while (n > 0 && rc == DG_OK)
        rc = push_role(r, stack[--n], plan, err);
    return rc;
}

dg_rc
profile_resolve_role(const struct profile_file *config,
                     const struct profile_file *creds, const char *profile,
                     struct profile_plan *plan, struct dg_err *err)
{
    memset(plan, 0, sizeof(*plan));
    struct resolver r = {.config = config, .creds = creds};
    r.visited[r.nvisited++] = profile;
    dg_rc rc = resolve_role(&r, profile, plan, err);
    if (rc != DG_OK)
        profile_plan_cleanup(plan);
    return rc;
}
