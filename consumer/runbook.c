/*
 * runbook.c - the action type catalog and runbook validation.
 *
 * The catalog is the single list of resourceTypes drgate knows (ARCHITECTURE
 * section 5): which parameters each takes, whether it mutates, whether it
 * can lose data, its default region and deadline. An unknown resourceType
 * or parameter is a validation error, never a silent no-op. Validation
 * reports every problem at once with its JSON pointer; it never stops at
 * the first.
 */
#include "runbook.h"

#include <stdio.h>
#include <string.h>

#include "json.h"
#include "mem.h"

#define RB_MAX_LAYERS 64
#define RB_MAX_RESOURCES 64
#define RB_MAX_VALUE 4096
#define RB_MAX_FILE (1024 * 1024)

static const char *const p_global_target[] = {"GlobalClusterIdentifier",
                                              "DBClusterIdentifier", NULL};
static const char *const p_none[] = {NULL};
static const char *const p_unplanned_opt[] = {"ClusterRegion", NULL};
static const char *const p_create_req[] = {"GlobalClusterIdentifier",
                                           "DBClusterIdentifier",
                                           "DBInstanceIdentifier",
                                           "DBInstanceClass",
                                           "Engine",
                                           NULL};
static const char *const p_create_opt[] = {"DBClusterName",
                                           "SourceDBClusterIdentifier",
                                           "Port",
                                           "DBSubnetGroupName",
                                           "VpcSecurityGroupIds",
                                           "EngineVersion",
                                           "KmsKeyId",
                                           "SourceRegion",
                                           "ClusterRegion",
                                           "BackupRetentionPeriod",
                                           "MonitoringInterval",
                                           "StorageEncrypted",
                                           "EnableIAMDatabaseAuthentication",
                                           "DeletionProtection",
                                           "CopyTagsToSnapshot",
                                           "AutoMinorVersionUpgrade",
                                           "MonitoringRoleArn",
                                           NULL};
static const char *const p_promote_opt[] = {
    "RDSInstanceIdentifier", "DBClusterIdentifier", "TargetClusterIdentifier",
    "BackupRetentionPeriod", NULL};
static const char *const p_promote_one_of[] = {"RDSInstanceIdentifier",
                                               "DBClusterIdentifier", NULL};
static const char *const p_cache_req[] = {"GlobalReplicationGroupId",
                                          "TargetRegion",
                                          "TargetReplicationGroupId", NULL};
static const char *const p_r53_req[] = {"HostedZoneId", "RecordName",
                                        "RecordValue", NULL};
static const char *const p_r53_opt[] = {"RecordType", "TTL", NULL};
static const char *const p_ecs_req[] = {"Cluster", "Service", NULL};
static const char *const p_validate_req[] = {"GlobalClusterIdentifier", NULL};
static const char *const p_validate_opt[] = {"DBClusterIdentifier", NULL};

/* Rules the required/optional lists cannot say: exactly one parameter of
 * a group, and a parameter allowed only together with another one. */
static const struct {
    const char *type;
    const char *const *one_of; /* exactly one of these, or NULL */
    const char *param;         /* param is allowed only ... (or NULL) */
    const char *needs;         /* ... together with needs */
} rules[] = {
    {"PromoteRDSReadReplica", p_promote_one_of, "BackupRetentionPeriod",
     "RDSInstanceIdentifier"},
    {NULL, NULL, NULL, NULL},
};

static const struct runbook_type catalog[] = {
    {"PlannedFailoverAurora", p_global_target, p_none, NULL, RB_REGION_PRIMARY,
     1, 0, 1800,
     "switch the Aurora global database over to the target cluster "
     "(FailoverGlobalCluster without data loss)"},
    {"SwitchoverAurora", p_global_target, p_none, NULL, RB_REGION_PRIMARY, 1, 0,
     1800,
     "switch the Aurora global database over to the target cluster "
     "(SwitchoverGlobalCluster, no data loss)"},
    {"ManagedFailoverAurora", p_global_target, p_none, NULL,
     RB_REGION_SECONDARY, 1, 1, 900,
     "fail the Aurora global database over to the target cluster "
     "(FailoverGlobalCluster AllowDataLoss: recent writes can be lost)"},
    {"UnPlannedFailoverAurora", p_global_target, p_unplanned_opt,
     "ClusterRegion", RB_REGION_SECONDARY, 1, 1, 900,
     "detach the target cluster from the global database and promote it "
     "(RemoveFromGlobalCluster: recent writes can be lost)"},
    {"CreateAuroraSecondaryDBCluster", p_create_req, p_create_opt,
     "ClusterRegion", RB_REGION_PRIMARY, 1, 0, 3600,
     "create a secondary cluster and instance joining the global database"},
    {"PromoteRDSReadReplica", p_none, p_promote_opt, NULL, RB_REGION_SECONDARY,
     1, 1, 1800,
     "promote an RDS read replica instance, or a read-replica DB cluster, to "
     "a standalone writable database"},
    {"FailoverElastiCacheCluster", p_cache_req, p_none, "TargetRegion",
     RB_REGION_SECONDARY, 1, 0, 900,
     "make the target replication group the primary of the ElastiCache "
     "global datastore (FailoverGlobalReplicationGroup)"},
    {"UpdateRoute53Record", p_r53_req, p_r53_opt, NULL, RB_REGION_GLOBAL, 1, 0,
     300, "point a Route53 record at a new value (UPSERT, wait INSYNC)"},
    {"RedeployEcsService", p_ecs_req, p_none, NULL, RB_REGION_SECONDARY, 1, 0,
     900, "force a new deployment of an ECS service and wait for it"},
    {"ValidateAuroraGlobal", p_validate_req, p_validate_opt, NULL,
     RB_REGION_SECONDARY, 0, 0, 120,
     "check the global database topology (read-only)"},
    {"AuroraStatus", p_validate_req, p_validate_opt, NULL, RB_REGION_SECONDARY,
     0, 0, 120, "report the global database status (read-only)"},
    {NULL, NULL, NULL, NULL, 0, 0, 0, 0, NULL},
};

const struct runbook_type *
runbook_types(void)
{
    return catalog;
}

const struct runbook_type *
runbook_type_find(const char *name)
{
    if (!name)
        return NULL;
    for (const struct runbook_type *t = catalog; t->name; t++)
        if (strcmp(t->name, name) == 0)
            return t;
    return NULL;
}

static int
in_list(const char *const *list, const char *s)
{
    for (; list && *list; list++)
        if (strcmp(*list, s) == 0)
            return 1;
    return 0;
}

/* Appends "label: <ptr>: msg\n". ptr is the pointer so far plus extra
 * tokens (NULL-terminated). */
static void
problem(struct dg_buf *errors, const char *label, const char *ptr,
        const char *msg)
{
    (void)dg_buf_printf(errors, "%s: %s: %s\n", label, ptr[0] ? ptr : "/", msg);
}

/* A short, safe rendering of a JSON value for "(got X)". */
static void
got(const cJSON *v, char *out, size_t n)
{
    if (!v) {
        snprintf(out, n, "nothing");
        return;
    }
    if (cJSON_IsString(v)) {
        snprintf(out, n, "\"%.60s%s\"", v->valuestring,
                 strlen(v->valuestring) > 60 ? "..." : "");
        return;
    }
    if (cJSON_IsNumber(v)) {
        snprintf(out, n, "%g", v->valuedouble);
        return;
    }
    snprintf(out, n, "%s",
             cJSON_IsBool(v)     ? "a boolean"
             : cJSON_IsNull(v)   ? "null"
             : cJSON_IsArray(v)  ? "an array"
             : cJSON_IsObject(v) ? "an object"
                                 : "something else");
}

static void
check_placeholders_cb(const char *name, size_t len, void *ctx)
{
    int *bad = ctx;
    if (len == 0 || len > 64)
        *bad = 1;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_'))
            *bad = 1;
    }
}

void
runbook_placeholders(const char *s,
                     void (*fn)(const char *name, size_t len, void *ctx),
                     void *ctx)
{
    for (const char *p = s; (p = strstr(p, "${")) != NULL;) {
        const char *end = strchr(p + 2, '}');
        if (!end) {
            fn(p + 2, 0, ctx); /* unterminated: report as empty */
            return;
        }
        fn(p + 2, (size_t)(end - p - 2), ctx);
        p = end + 1;
    }
}

static void
check_string_value(const cJSON *v, const char *label, const char *ptr,
                   struct dg_buf *errors)
{
    const char *s = v->valuestring;
    char g[96];
    if (strlen(s) > RB_MAX_VALUE) {
        problem(errors, label, ptr, "value longer than 4096 characters");
        return;
    }
    int bad = 0;
    runbook_placeholders(s, check_placeholders_cb, &bad);
    if (bad) {
        got(v, g, sizeof(g));
        char msg[160];
        snprintf(msg, sizeof(msg), "malformed ${variable} placeholder (got %s)",
                 g);
        problem(errors, label, ptr, msg);
    }
    if (strncmp(s, "!Import", 7) == 0) {
        const char *name = s + 7;
        if (*name != ' ' || name[1] == '\0' || strchr(name + 1, ' ')) {
            got(v, g, sizeof(g));
            char msg[160];
            snprintf(msg, sizeof(msg),
                     "expected \"!Import <export-name>\" (got %s)", g);
            problem(errors, label, ptr, msg);
        }
    } else if (strncmp(s, "resolve:ssm:", 12) == 0 && s[12] == '\0') {
        problem(errors, label, ptr,
                "expected \"resolve:ssm:<parameter-name>\" (got an empty "
                "name)");
    }
}

static void
check_param_value(const cJSON *v, const char *label, const char *ptr,
                  struct dg_buf *errors)
{
    char g[96], msg[200];
    if (cJSON_IsString(v)) {
        check_string_value(v, label, ptr, errors);
        return;
    }
    if (cJSON_IsNumber(v) || cJSON_IsBool(v))
        return;
    if (cJSON_IsArray(v)) {
        int i = 0;
        for (const cJSON *c = v->child; c; c = c->next, i++) {
            struct dg_buf p;
            dg_buf_init(&p, 1024);
            (void)dg_buf_printf(&p, "%s/%d", ptr, i);
            if (!cJSON_IsString(c)) {
                got(c, g, sizeof(g));
                snprintf(msg, sizeof(msg), "expected a string (got %s)", g);
                problem(errors, label, dg_buf_str(&p), msg);
            } else {
                check_string_value(c, label, dg_buf_str(&p), errors);
            }
            dg_buf_cleanup(&p);
        }
        return;
    }
    got(v, g, sizeof(g));
    snprintf(msg, sizeof(msg),
             "expected a string, number, boolean or array of strings (got "
             "%s)",
             g);
    problem(errors, label, ptr, msg);
}

/* The rules for t on a parameters object; ptr points at it. */
static void
check_rules(const struct runbook_type *t, const cJSON *params,
            const char *label, const char *ptr, struct dg_buf *errors)
{
    char msg[300];
    for (size_t i = 0; rules[i].type; i++) {
        if (strcmp(rules[i].type, t->name) != 0)
            continue;
        if (rules[i].one_of) {
            struct dg_buf names;
            dg_buf_init(&names, 1024);
            int present = 0, k = 0;
            for (const char *const *p = rules[i].one_of; *p; p++) {
                (void)dg_buf_printf(&names, "%s%s", k++ ? ", " : "", *p);
                present += cJSON_GetObjectItemCaseSensitive(params, *p) != NULL;
            }
            if (present != 1) {
                snprintf(msg, sizeof(msg),
                         "%s needs exactly one of %s (got %s)", t->name,
                         dg_buf_str(&names),
                         present ? "more than one" : "none");
                problem(errors, label, ptr, msg);
            }
            dg_buf_cleanup(&names);
        }
        if (rules[i].param &&
            cJSON_GetObjectItemCaseSensitive(params, rules[i].param) &&
            !cJSON_GetObjectItemCaseSensitive(params, rules[i].needs)) {
            struct dg_buf p;
            dg_buf_init(&p, 2048);
            (void)dg_buf_addstr(&p, ptr);
            (void)dg_json_ptr_add(&p, rules[i].param);
            snprintf(msg, sizeof(msg), "%s takes it only with %s", t->name,
                     rules[i].needs);
            problem(errors, label, dg_buf_str(&p), msg);
            dg_buf_cleanup(&p);
        }
    }
}

static void
check_resource(const cJSON *res, const char *label, const char *ptr,
               struct dg_buf *errors)
{
    char g[96], msg[300];
    struct dg_buf p;
    dg_buf_init(&p, 2048);
#define AT(key)                                                                \
    (dg_buf_reset(&p), (void)dg_buf_addstr(&p, ptr),                           \
     (void)dg_json_ptr_add(&p, key), dg_buf_str(&p))

    if (!cJSON_IsObject(res)) {
        got(res, g, sizeof(g));
        snprintf(msg, sizeof(msg), "expected an object (got %s)", g);
        problem(errors, label, ptr, msg);
        goto out;
    }
    for (const cJSON *c = res->child; c; c = c->next) {
        static const char *const keys[] = {"resourceType",    "resourceName",
                                           "parameters",      "region",
                                           "timeout_seconds", NULL};
        if (!in_list(keys, c->string))
            problem(errors, label, AT(c->string), "unknown key");
    }
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(res, "resourceType");
    const struct runbook_type *t = NULL;
    if (!type) {
        problem(errors, label, AT("resourceType"), "required");
    } else if (!cJSON_IsString(type)) {
        got(type, g, sizeof(g));
        snprintf(msg, sizeof(msg), "expected a string (got %s)", g);
        problem(errors, label, AT("resourceType"), msg);
    } else if (!(t = runbook_type_find(type->valuestring))) {
        got(type, g, sizeof(g));
        snprintf(msg, sizeof(msg), "unknown resourceType (got %s)", g);
        problem(errors, label, AT("resourceType"), msg);
    }
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(res, "resourceName");
    if (name && (!cJSON_IsString(name) || strlen(name->valuestring) > 256)) {
        got(name, g, sizeof(g));
        snprintf(msg, sizeof(msg),
                 "expected a string of at most 256 characters (got %s)", g);
        problem(errors, label, AT("resourceName"), msg);
    }
    const cJSON *region = cJSON_GetObjectItemCaseSensitive(res, "region");
    if (region && !cJSON_IsString(region)) {
        got(region, g, sizeof(g));
        snprintf(msg, sizeof(msg), "expected a region code (got %s)", g);
        problem(errors, label, AT("region"), msg);
    }
    const cJSON *timeout =
        cJSON_GetObjectItemCaseSensitive(res, "timeout_seconds");
    long long tv;
    if (timeout &&
        (!dg_json_int(res, "timeout_seconds", &tv) || tv < 1 || tv > 86400)) {
        got(timeout, g, sizeof(g));
        snprintf(msg, sizeof(msg),
                 "must be a whole number between 1 and 86400 (got %s)", g);
        problem(errors, label, AT("timeout_seconds"), msg);
    }
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(res, "parameters");
    if (!params) {
        problem(errors, label, AT("parameters"), "required");
        goto out;
    }
    if (!cJSON_IsObject(params)) {
        got(params, g, sizeof(g));
        snprintf(msg, sizeof(msg), "expected an object (got %s)", g);
        problem(errors, label, AT("parameters"), msg);
        goto out;
    }
    struct dg_buf pp;
    dg_buf_init(&pp, 2048);
    for (const cJSON *c = params->child; c; c = c->next) {
        dg_buf_reset(&pp);
        (void)dg_buf_addstr(&pp, AT("parameters"));
        (void)dg_json_ptr_add(&pp, c->string);
        if (t && !in_list(t->required, c->string) &&
            !in_list(t->optional, c->string)) {
            snprintf(msg, sizeof(msg), "unknown parameter for %s", t->name);
            problem(errors, label, dg_buf_str(&pp), msg);
            continue;
        }
        check_param_value(c, label, dg_buf_str(&pp), errors);
    }
    for (const char *const *r = t ? t->required : p_none; *r; r++) {
        if (!cJSON_GetObjectItemCaseSensitive(params, *r)) {
            dg_buf_reset(&pp);
            (void)dg_buf_addstr(&pp, AT("parameters"));
            (void)dg_json_ptr_add(&pp, *r);
            snprintf(msg, sizeof(msg), "required by %s", t->name);
            problem(errors, label, dg_buf_str(&pp), msg);
        }
    }
    if (t)
        check_rules(t, params, label, AT("parameters"), errors);
    dg_buf_cleanup(&pp);
#undef AT
out:
    dg_buf_cleanup(&p);
}

static void
check_payload(const cJSON *payload, const char *label, const char *base,
              struct dg_buf *errors)
{
    char g[96], msg[200];
    if (!cJSON_IsArray(payload)) {
        got(payload, g, sizeof(g));
        snprintf(msg, sizeof(msg), "expected an array of layers (got %s)", g);
        problem(errors, label, base, msg);
        return;
    }
    int n = cJSON_GetArraySize(payload);
    if (n == 0) {
        problem(errors, label, base, "must have at least one layer");
        return;
    }
    if (n > RB_MAX_LAYERS) {
        snprintf(msg, sizeof(msg), "at most %d layers (got %d)", RB_MAX_LAYERS,
                 n);
        problem(errors, label, base, msg);
        return;
    }
    long long prev = 0;
    int i = 0;
    struct dg_buf p;
    dg_buf_init(&p, 2048);
    for (const cJSON *layer = payload->child; layer; layer = layer->next, i++) {
        dg_buf_reset(&p);
        (void)dg_buf_printf(&p, "%s/%d", base, i);
        char lp[1024];
        snprintf(lp, sizeof(lp), "%s", dg_buf_str(&p));
        if (!cJSON_IsObject(layer)) {
            got(layer, g, sizeof(g));
            snprintf(msg, sizeof(msg), "expected a layer object (got %s)", g);
            problem(errors, label, lp, msg);
            continue;
        }
        for (const cJSON *c = layer->child; c; c = c->next)
            if (strcmp(c->string, "layer") != 0 &&
                strcmp(c->string, "resources") != 0) {
                dg_buf_reset(&p);
                (void)dg_buf_addstr(&p, lp);
                (void)dg_json_ptr_add(&p, c->string);
                problem(errors, label, dg_buf_str(&p), "unknown key");
            }
        long long ln;
        const cJSON *lv = cJSON_GetObjectItemCaseSensitive(layer, "layer");
        dg_buf_reset(&p);
        (void)dg_buf_printf(&p, "%s/layer", lp);
        if (!lv) {
            problem(errors, label, dg_buf_str(&p), "required");
        } else if (!dg_json_int(layer, "layer", &ln) || ln < 1) {
            got(lv, g, sizeof(g));
            snprintf(msg, sizeof(msg),
                     "must be a whole number of at least 1 (got %s)", g);
            problem(errors, label, dg_buf_str(&p), msg);
        } else if (ln <= prev) {
            snprintf(msg, sizeof(msg),
                     "layers run in array order: must be greater than the "
                     "previous layer (%lld) (got %lld)",
                     prev, ln);
            problem(errors, label, dg_buf_str(&p), msg);
        } else {
            prev = ln;
        }
        const cJSON *res = cJSON_GetObjectItemCaseSensitive(layer, "resources");
        dg_buf_reset(&p);
        (void)dg_buf_printf(&p, "%s/resources", lp);
        if (!res) {
            problem(errors, label, dg_buf_str(&p), "required");
            continue;
        }
        int nres = cJSON_IsArray(res) ? cJSON_GetArraySize(res) : -1;
        if (nres < 1 || nres > RB_MAX_RESOURCES) {
            got(res, g, sizeof(g));
            snprintf(msg, sizeof(msg),
                     "expected an array of 1 to %d resources (got %s)",
                     RB_MAX_RESOURCES, g);
            problem(errors, label, dg_buf_str(&p), msg);
            continue;
        }
        int j = 0;
        for (const cJSON *r = res->child; r; r = r->next, j++) {
            char rp[1100];
            snprintf(rp, sizeof(rp), "%s/resources/%d", lp, j);
            check_resource(r, label, rp, errors);
        }
    }
    dg_buf_cleanup(&p);
}

dg_rc
runbook_validate(const cJSON *doc, int bare, const char *label,
                 struct dg_buf *errors)
{
    size_t before = errors->len;
    if (bare) {
        check_payload(doc, label, "", errors);
    } else if (!cJSON_IsObject(doc)) {
        problem(errors, label, "",
                "expected an object with a \"StatePayload\" array");
    } else {
        for (const cJSON *c = doc->child; c; c = c->next)
            if (strcmp(c->string, "StatePayload") != 0 &&
                strcmp(c->string, "description") != 0) {
                struct dg_buf p;
                dg_buf_init(&p, 1024);
                (void)dg_json_ptr_add(&p, c->string);
                problem(errors, label, dg_buf_str(&p), "unknown key");
                dg_buf_cleanup(&p);
            }
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(doc, "description");
        if (d && !cJSON_IsString(d))
            problem(errors, label, "/description", "expected a string");
        const cJSON *sp = cJSON_GetObjectItemCaseSensitive(doc, "StatePayload");
        if (!sp)
            problem(errors, label, "/StatePayload", "required");
        else
            check_payload(sp, label, "/StatePayload", errors);
    }
    return errors->len == before ? DG_OK : DG_EINVALID;
}

dg_rc
runbook_load(const char *path, cJSON **out, struct dg_buf *errors)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        (void)dg_buf_printf(errors, "%s: cannot be read\n", path);
        return DG_EINVALID;
    }
    struct dg_buf text;
    dg_buf_init(&text, RB_MAX_FILE);
    char chunk[8192];
    size_t n;
    dg_rc rc = DG_OK;
    while (rc == DG_OK && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        rc = dg_buf_add(&text, chunk, n);
    fclose(f);
    if (rc != DG_OK) {
        (void)dg_buf_printf(errors, "%s: larger than 1 MiB\n", path);
        dg_buf_cleanup(&text);
        return DG_EINVALID;
    }
    struct dg_err err;
    dg_err_clear(&err);
    cJSON *doc = dg_json_parse(dg_buf_str(&text), text.len, RB_MAX_FILE,
                               DG_JSON_MAX_DEPTH, &err);
    dg_buf_cleanup(&text);
    if (!doc) {
        (void)dg_buf_printf(errors, "%s: %s\n", path, err.msg);
        return DG_EINVALID;
    }
    if (runbook_validate(doc, 0, path, errors) != DG_OK) {
        cJSON_Delete(doc);
        return DG_EINVALID;
    }
    *out = doc;
    return DG_OK;
}
