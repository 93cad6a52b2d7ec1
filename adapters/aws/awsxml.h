#ifndef DRGATE_AWSXML_H
#define DRGATE_AWSXML_H
/*
 * AWS XML responses (query and REST-XML protocols) parsed by expat into a
 * small tree. Bounded: size, depth, node count; DOCTYPE and entity
 * declarations are refused. Element names are local names (namespace
 * prefixes dropped). Pure.
 */
#include <stddef.h>

#include "err.h"

struct awsxml_node {
    char *name;
    char *text; /* character data directly inside this element; "" if none */
    struct awsxml_node *parent;
    struct awsxml_node *children; /* first child */
    struct awsxml_node *next;     /* next sibling */
};

#define AWSXML_MAX_BYTES (8u * 1024 * 1024)
#define AWSXML_MAX_DEPTH 64
#define AWSXML_MAX_NODES 200000

/* On DG_OK *root is the document element; free with awsxml_free. On
 * DG_EINVALID err->code is "bad_xml", "too_large", "too_deep" or
 * "too_many_nodes". */
dg_rc awsxml_parse(const char *xml, size_t len, struct awsxml_node **root,
                   struct dg_err *err);
void awsxml_free(struct awsxml_node *root); /* accepts NULL */

/* First child named name; NULL when none. */
const struct awsxml_node *awsxml_child(const struct awsxml_node *n,
                                       const char *name);
/* Follows "A/B/C" from n (n's children first); NULL when any step fails. */
const struct awsxml_node *awsxml_path(const struct awsxml_node *n,
                                      const char *path);
/* Text at path, or NULL when the element is missing. */
const char *awsxml_text(const struct awsxml_node *n, const char *path);
/* Iteration over same-named children:
 *   for (c = awsxml_first(list, "member"); c; c = awsxml_next(c)) */
const struct awsxml_node *awsxml_first(const struct awsxml_node *n,
                                       const char *name);
const struct awsxml_node *awsxml_next(const struct awsxml_node *c);

#endif
