/*
 * awsxml.c - AWS XML responses (query and REST-XML) into a small tree.
 *
 * expat parses the whole document in one call; the handlers build the tree
 * top-down with an explicit stack (depth is bounded by AWSXML_MAX_DEPTH, so
 * the stack is an array). The caller owns the returned root and frees it
 * with awsxml_free, which walks the tree iteratively (no recursion).
 *
 * Errors come back as DG_EINVALID with err->code "bad_xml" (syntax, a
 * DOCTYPE, an entity declaration), "too_large", "too_deep" or
 * "too_many_nodes". A DOCTYPE stops the parser at once, so no DTD (and so
 * no entity) is ever read: only the five predefined entities and character
 * references are expanded. Element names keep their local part only
 * ("ns:Code" becomes "Code"); text is kept exactly as sent.
 */
#include "awsxml.h"

#include <string.h>

#include <expat.h>

#include "mem.h"

struct frame {
    struct awsxml_node *node;
    struct awsxml_node *last_child;
    size_t text_len;
};

struct parse_state {
    XML_Parser parser;
    struct awsxml_node *root;
    struct frame stack[AWSXML_MAX_DEPTH];
    int depth;
    size_t nodes;
    const char *fail_code; /* set when a handler stopped the parser */
    const char *fail_msg;
};

static void
stop(struct parse_state *st, const char *code, const char *msg)
{
    if (!st->fail_code) {
        st->fail_code = code;
        st->fail_msg = msg;
    }
    XML_StopParser(st->parser, XML_FALSE);
}

static const char *
local_name(const char *name)
{
    const char *colon = strrchr(name, ':');
    return colon ? colon + 1 : name;
}

static void XMLCALL
on_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    struct parse_state *st = ud;
    (void)atts;
    if (st->fail_code)
        return;
    if (st->depth >= AWSXML_MAX_DEPTH) {
        stop(st, "too_deep", "XML nested too deeply");
        return;
    }
    if (st->nodes >= AWSXML_MAX_NODES) {
        stop(st, "too_many_nodes", "XML has too many elements");
        return;
    }
    struct awsxml_node *n = dg_calloc(1, sizeof(*n));
    n->name = dg_strdup(local_name(name));
    n->text = dg_strdup("");
    st->nodes++;
    if (st->depth == 0) {
        if (st->root) { /* expat refuses a second root; be safe anyway */
            awsxml_free(n);
            stop(st, "bad_xml", "more than one root element");
            return;
        }
        st->root = n;
    } else {
        struct frame *parent = &st->stack[st->depth - 1];
        n->parent = parent->node;
        if (parent->last_child)
            parent->last_child->next = n;
        else
            parent->node->children = n;
        parent->last_child = n;
    }
    st->stack[st->depth].node = n;
    st->stack[st->depth].last_child = NULL;
    st->stack[st->depth].text_len = 0;
    st->depth++;
}

static void XMLCALL
on_end(void *ud, const XML_Char *name)
{
    struct parse_state *st = ud;
    (void)name;
    if (st->fail_code || st->depth == 0)
        return;
    st->depth--;
}

static void XMLCALL
on_text(void *ud, const XML_Char *s, int len)
{
    struct parse_state *st = ud;
    if (st->fail_code || st->depth == 0 || len <= 0)
        return;
    struct frame *f = &st->stack[st->depth - 1];
    /* The whole input is capped at AWSXML_MAX_BYTES and expansion of the
     * predefined entities only shrinks text, so this cannot overflow. */
    f->node->text = dg_realloc(f->node->text, f->text_len + (size_t)len + 1);
    memcpy(f->node->text + f->text_len, s, (size_t)len);
    f->text_len += (size_t)len;
    f->node->text[f->text_len] = '\0';
}

static void XMLCALL
on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
           const XML_Char *pubid, int has_internal_subset)
{
    (void)name;
    (void)sysid;
    (void)pubid;
    (void)has_internal_subset;
    stop(ud, "bad_xml", "DOCTYPE refused");
}

static void XMLCALL
on_entity_decl(void *ud, const XML_Char *name, int is_param,
               const XML_Char *value, int value_len, const XML_Char *base,
               const XML_Char *sysid, const XML_Char *pubid,
               const XML_Char *notation)
{
    (void)name;
    (void)is_param;
    (void)value;
    (void)value_len;
    (void)base;
    (void)sysid;
    (void)pubid;
    (void)notation;
    stop(ud, "bad_xml", "entity declaration refused");
}

dg_rc
awsxml_parse(const char *xml, size_t len, struct awsxml_node **root,
             struct dg_err *err)
{
    *root = NULL;
    if (len > AWSXML_MAX_BYTES)
        return dg_err_setc(err, DG_EINVALID, "too_large",
                           "XML document of %zu bytes exceeds %u", len,
                           AWSXML_MAX_BYTES);
    struct parse_state st;
    memset(&st, 0, sizeof(st));
    st.parser = XML_ParserCreate("UTF-8");
    if (!st.parser)
        return dg_err_setc(err, DG_EFATAL, "oom", "XML_ParserCreate failed");
    XML_SetUserData(st.parser, &st);
    XML_SetElementHandler(st.parser, on_start, on_end);
    XML_SetCharacterDataHandler(st.parser, on_text);
    XML_SetStartDoctypeDeclHandler(st.parser, on_doctype);
    XML_SetEntityDeclHandler(st.parser, on_entity_decl);
    XML_SetParamEntityParsing(st.parser, XML_PARAM_ENTITY_PARSING_NEVER);

    dg_rc rc = DG_OK;
    enum XML_Status s = XML_Parse(st.parser, xml ? xml : "", (int)len, 1);
    if (st.fail_code) {
        rc = dg_err_setc(err, DG_EINVALID, st.fail_code, "%s", st.fail_msg);
    } else if (s != XML_STATUS_OK) {
        rc = dg_err_setc(err, DG_EINVALID, "bad_xml",
                         "XML error at line %lu: %s",
                         (unsigned long)XML_GetCurrentLineNumber(st.parser),
                         XML_ErrorString(XML_GetErrorCode(st.parser)));
    } else if (!st.root) {
        rc = dg_err_setc(err, DG_EINVALID, "bad_xml", "no root element");
    }
    XML_ParserFree(st.parser);
    if (rc != DG_OK) {
        awsxml_free(st.root);
        return rc;
    }
    *root = st.root;
    return DG_OK;
}

void
awsxml_free(struct awsxml_node *root)
{
    struct awsxml_node *n = root;
    while (n) {
        if (n->children) { /* descend first; free on the way back up */
            n = n->children;
            continue;
        }
        struct awsxml_node *next = n == root ? NULL : n->next;
        struct awsxml_node *parent = n == root ? NULL : n->parent;
        if (parent)
            parent->children = next;
        dg_free(n->name);
        dg_free(n->text);
        dg_free(n);
        n = next ? next : parent;
    }
}

const struct awsxml_node *
awsxml_child(const struct awsxml_node *n, const char *name)
{
    if (!n)
        return NULL;
    for (const struct awsxml_node *c = n->children; c; c = c->next)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

const struct awsxml_node *
awsxml_path(const struct awsxml_node *n, const char *path)
{
    char step[256];
    const char *p = path;
    while (n && *p) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        if (len >= sizeof(step))
            return NULL;
        memcpy(step, p, len);
        step[len] = '\0';
        if (len > 0)
            n = awsxml_child(n, step);
        p += len;
        if (*p == '/')
            p++;
    }
    return n;
}

const char *
awsxml_text(const struct awsxml_node *n, const char *path)
{
    const struct awsxml_node *t = awsxml_path(n, path);
    return t ? t->text : NULL;
}

const struct awsxml_node *
awsxml_first(const struct awsxml_node *n, const char *name)
{
    return awsxml_child(n, name);
}

const struct awsxml_node *
awsxml_next(const struct awsxml_node *c)
{
    if (!c)
        return NULL;
    for (const struct awsxml_node *s = c->next; s; s = s->next)
        if (strcmp(s->name, c->name) == 0)
            return s;
    return NULL;
}
