/*
 * fuzz_awsxml.c - libFuzzer target for awsxml_parse: any bytes give either
 * a tree whose every node has a name, text and consistent parent links, or
 * DG_EINVALID with a reason code; nothing leaks.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "awsxml.h"
#include "mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int init;
    if (!init) {
        dg_mem_init();
        init = 1;
    }
    struct awsxml_node *root = NULL;
    struct dg_err err;
    dg_err_clear(&err);
    dg_rc rc = awsxml_parse((const char *)data, size, &root, &err);
    if (rc != DG_OK) {
        if (root || !err.code[0])
            __builtin_trap();
        return 0;
    }
    /* walk the tree iteratively, checking its links */
    size_t nodes = 0;
    const struct awsxml_node *n = root;
    while (n) {
        if (!n->name || !n->text)
            __builtin_trap();
        nodes++;
        for (const struct awsxml_node *c = n->children; c; c = c->next)
            if (c->parent != n)
                __builtin_trap();
        if (n->children) {
            n = n->children;
            continue;
        }
        while (n && n != root && !n->next)
            n = n->parent;
        n = (n && n != root) ? n->next : NULL;
    }
    if (nodes > AWSXML_MAX_NODES)
        __builtin_trap();
    (void)awsxml_text(root, "Error/Code");
    (void)awsxml_next(awsxml_first(root, "member"));
    awsxml_free(root);
    return 0;
}
