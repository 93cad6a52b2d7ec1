/*
 * test_awsxml.c - the expat tree: nesting, namespaces (local names), CDATA,
 * the predefined entities, refused DOCTYPE and entity declarations, and the
 * size, depth and node-count bounds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "awsxml.h"
#include "mem.h"
#include "testsupport.h"

static struct awsxml_node *
parse_ok(const char *xml)
{
    struct awsxml_node *root = NULL;
    struct dg_err err;
    dg_err_clear(&err);
    ck_assert_msg(awsxml_parse(xml, strlen(xml), &root, &err) == DG_OK,
                  "parse failed: %s %s", err.code, err.msg);
    ck_assert_ptr_nonnull(root);
    return root;
}

START_TEST(nested_and_lists)
{
    const char *xml =
        "<?xml version=\"1.0\"?>\n"
        "<DescribeGlobalClustersResponse "
        "xmlns=\"http://rds.amazonaws.com/doc/2014-10-31/\">\n"
        " <DescribeGlobalClustersResult><GlobalClusters>\n"
        "  <GlobalClusterMember><Id>a</Id></GlobalClusterMember>\n"
        "  <Other/>\n"
        "  <GlobalClusterMember><Id>b</Id></GlobalClusterMember>\n"
        " </GlobalClusters></DescribeGlobalClustersResult>\n"
        " <ResponseMetadata><RequestId>rid-1</RequestId></ResponseMetadata>\n"
        "</DescribeGlobalClustersResponse>";
    struct awsxml_node *root = parse_ok(xml);
    ck_assert_str_eq(root->name, "DescribeGlobalClustersResponse");
    ck_assert_str_eq(awsxml_text(root, "ResponseMetadata/RequestId"), "rid-1");
    const struct awsxml_node *list =
        awsxml_path(root, "DescribeGlobalClustersResult/GlobalClusters");
    ck_assert_ptr_nonnull(list);
    const char *want[] = {"a", "b"};
    int n = 0;
    for (const struct awsxml_node *c =
             awsxml_first(list, "GlobalClusterMember");
         c; c = awsxml_next(c)) {
        ck_assert_int_lt(n, 2);
        ck_assert_str_eq(awsxml_text(c, "Id"), want[n]);
        ck_assert_ptr_eq(c->parent, list);
        n++;
    }
    ck_assert_int_eq(n, 2);
    ck_assert_str_eq(awsxml_text(list, "Other"), "");
    ck_assert_ptr_null(awsxml_text(root, "Nope/RequestId"));
    ck_assert_ptr_null(awsxml_child(root, "nope"));
    ck_assert_ptr_null(awsxml_next(NULL));
    awsxml_free(root);
}
END_TEST

START_TEST(namespaces_cdata_entities)
{
    const char *xml =
        "<r:Root xmlns:r=\"urn:r\" xmlns:x=\"urn:x\">"
        "<x:Code>A&amp;B &lt;&gt; &quot;&apos; &#65;&#x42;</x:Code>"
        "<Msg><![CDATA[<not> &markup;]]></Msg>"
        "<Split>one<!-- c -->two</Split>"
        "</r:Root>";
    struct awsxml_node *root = parse_ok(xml);
    ck_assert_str_eq(root->name, "Root");
    ck_assert_str_eq(awsxml_text(root, "Code"), "A&B <> \"' AB");
    ck_assert_str_eq(awsxml_text(root, "Msg"), "<not> &markup;");
    ck_assert_str_eq(awsxml_text(root, "Split"), "onetwo");
    awsxml_free(root);
}
END_TEST

struct bad_case {
    const char *xml;
    const char *code;
};

static const struct bad_case bad_cases[] = {
    {"", "bad_xml"},
    {"   ", "bad_xml"},
    {"<a>", "bad_xml"},
    {"<a></b>", "bad_xml"},
    {"<a/><b/>", "bad_xml"},
    {"<a>&undefined;</a>", "bad_xml"},
    {"<!DOCTYPE a><a/>", "bad_xml"},
    {"<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>", "bad_xml"},
    {"<!DOCTYPE a [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;\">]>"
     "<a>&lol2;</a>",
     "bad_xml"},
    {"<!DOCTYPE a SYSTEM \"file:///etc/passwd\"><a/>", "bad_xml"},
    {"<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY % p SYSTEM "
     "\"http://x/\">%p;]><a/>",
     "bad_xml"},
    {"<a>\xff\xfe</a>", "bad_xml"},
};

START_TEST(refused)
{
    const struct bad_case *c = &bad_cases[_i];
    struct awsxml_node *root = (struct awsxml_node *)1;
    struct dg_err err;
    dg_err_clear(&err);
    ck_assert_int_eq(awsxml_parse(c->xml, strlen(c->xml), &root, &err),
                     DG_EINVALID);
    ck_assert_ptr_null(root);
    ck_assert_str_eq(err.code, c->code);
}
END_TEST

START_TEST(doctype_message)
{
    const char *xml = "<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>";
    struct awsxml_node *root;
    struct dg_err err;
    dg_err_clear(&err);
    ck_assert_int_eq(awsxml_parse(xml, strlen(xml), &root, &err), DG_EINVALID);
    ck_assert_ptr_nonnull(strstr(err.msg, "DOCTYPE"));
}
END_TEST

START_TEST(depth_bound)
{
    char *xml = dg_malloc(AWSXML_MAX_DEPTH * 8 + 16);
    for (int depth = AWSXML_MAX_DEPTH; depth <= AWSXML_MAX_DEPTH + 1; depth++) {
        size_t n = 0;
        for (int i = 0; i < depth; i++)
            n += (size_t)sprintf(xml + n, "<a>");
        for (int i = 0; i < depth; i++)
            n += (size_t)sprintf(xml + n, "</a>");
        struct awsxml_node *root = NULL;
        struct dg_err err;
        dg_err_clear(&err);
        dg_rc rc = awsxml_parse(xml, n, &root, &err);
        if (depth == AWSXML_MAX_DEPTH) {
            ck_assert_int_eq(rc, DG_OK);
            awsxml_free(root);
        } else {
            ck_assert_int_eq(rc, DG_EINVALID);
            ck_assert_str_eq(err.code, "too_deep");
        }
    }
    dg_free(xml);
}
END_TEST

START_TEST(node_and_size_bounds)
{
    size_t count = AWSXML_MAX_NODES; /* + the root: one too many */
    size_t len = 3 + count * 4 + 4;
    char *xml = dg_malloc(len + 1);
    size_t n = (size_t)sprintf(xml, "<r>");
    for (size_t i = 0; i < count; i++)
        n += (size_t)sprintf(xml + n, "<a/>");
    n += (size_t)sprintf(xml + n, "</r>");
    struct awsxml_node *root = NULL;
    struct dg_err err;
    dg_err_clear(&err);
    ck_assert_int_eq(awsxml_parse(xml, n, &root, &err), DG_EINVALID);
    ck_assert_str_eq(err.code, "too_many_nodes");
    /* one fewer fits */
    n = (size_t)sprintf(xml, "<r>");
    for (size_t i = 0; i + 1 < count; i++)
        n += (size_t)sprintf(xml + n, "<a/>");
    n += (size_t)sprintf(xml + n, "</r>");
    ck_assert_int_eq(awsxml_parse(xml, n, &root, &err), DG_OK);
    awsxml_free(root);
    dg_free(xml);

    dg_err_clear(&err);
    ck_assert_int_eq(awsxml_parse("<a/>", AWSXML_MAX_BYTES + 1, &root, &err),
                     DG_EINVALID);
    ck_assert_str_eq(err.code, "too_large");
}
END_TEST

START_TEST(free_null)
{
    awsxml_free(NULL);
}
END_TEST

static Suite *
suite(void)
{
    Suite *s = suite_create("awsxml");
    TCase *tc = tcase_create("parse");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, nested_and_lists);
    tcase_add_test(tc, namespaces_cdata_entities);
    tcase_add_loop_test(tc, refused, 0,
                        (int)(sizeof(bad_cases) / sizeof(bad_cases[0])));
    tcase_add_test(tc, doctype_message);
    tcase_add_test(tc, depth_bound);
    tcase_add_test(tc, node_and_size_bounds);
    tcase_add_test(tc, free_null);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return ts_run(suite());
}
