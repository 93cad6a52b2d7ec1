#ifndef DRGATE_ROUTE53_H
#define DRGATE_ROUTE53_H
/*
 * Amazon Route 53 (REST-XML, 2013-04-01): ChangeResourceRecordSets
 * (UPSERT), GetChange, ListResourceRecordSets and GetHostedZone. Ids are
 * accepted with or without their "/hostedzone/" or "/change/" prefix and
 * returned without it (moto omits "/change/" in GetChange). Builders and
 * parsers are pure; see svc.h for the conventions.
 */
#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "svc.h"

#define ROUTE53_NS "https://route53.amazonaws.com/doc/2013-04-01/"

/* Where a REST-XML request goes. */
struct route53_http {
    const char *method;
    char path[256];
    char query[768]; /* encoded, "" when none */
};

struct route53_record {
    const char *name;
    const char *type; /* "CNAME", "A", ... */
    long ttl;         /* 0..2147483647 */
    const char *const *values;
    size_t nvalues;
};

struct route53_change {
    char *id;     /* without "/change/" */
    char *status; /* "PENDING" | "INSYNC" */
    char *submitted_at;
};

struct route53_rrset {
    char *name;
    char *type;
    long long ttl; /* -1 when absent (alias records) */
    struct svc_strv values;
    char *alias_dns_name; /* AliasTarget/DNSName or NULL */
    char *set_identifier;
};

struct route53_rrsets {
    struct route53_rrset *v;
    size_t n;
    int truncated;
    char *next_name;
    char *next_type;
};

struct route53_zone {
    char *id; /* without "/hostedzone/" */
    char *name;
    int private_zone;
    long long record_count;
};

/* "/hostedzone/Z1" -> "Z1", "/change/C1" -> "C1", others unchanged. */
const char *route53_strip_id(const char *id);

/* UPSERT of one record set: http and the XML body. */
dg_rc route53_build_upsert(const char *zone_id, const struct route53_record *r,
                           const char *comment, struct route53_http *http,
                           struct dg_buf *body, struct dg_err *err);
dg_rc route53_build_get_change(const char *change_id, struct route53_http *http,
                               struct dg_err *err);
/* start_name, start_type may be NULL; max_items 0: default. */
dg_rc route53_build_list_rrsets(const char *zone_id, const char *start_name,
                                const char *start_type, int max_items,
                                struct route53_http *http, struct dg_err *err);
dg_rc route53_build_get_hosted_zone(const char *zone_id,
                                    struct route53_http *http,
                                    struct dg_err *err);

/* ChangeResourceRecordSets and GetChange replies. */
dg_rc route53_parse_change(const char *op, const char *body, size_t len,
                           struct route53_change *out, struct dg_err *err);
dg_rc route53_parse_list_rrsets(const char *body, size_t len,
                                struct route53_rrsets *out, struct dg_err *err);
dg_rc route53_parse_get_hosted_zone(const char *body, size_t len,
                                    struct route53_zone *out,
                                    struct dg_err *err);
void route53_change_cleanup(struct route53_change *c);
void route53_rrsets_cleanup(struct route53_rrsets *l);
void route53_zone_cleanup(struct route53_zone *z);
/* The record set named name (trailing dot optional, case-insensitive) of
 * type, or NULL. */
const struct route53_rrset *route53_rrsets_find(const struct route53_rrsets *l,
                                                const char *name,
                                                const char *type);

/* Asynchronous wrappers. Results: struct route53_change (upsert, get
 * change), struct route53_rrsets, struct route53_zone. */
void route53_upsert(const struct svc_client *c, const char *zone_id,
                    const struct route53_record *r, const char *comment,
                    svc_done_fn done, void *ctx);
void route53_get_change(const struct svc_client *c, const char *change_id,
                        svc_done_fn done, void *ctx);
void route53_list_rrsets(const struct svc_client *c, const char *zone_id,
                         const char *start_name, const char *start_type,
                         int max_items, svc_done_fn done, void *ctx);
void route53_get_hosted_zone(const struct svc_client *c, const char *zone_id,
                             svc_done_fn done, void *ctx);

#endif
