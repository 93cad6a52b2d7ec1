/*
 * rds_replica.c - PromoteRDSReadReplica (seed 001 Test Case #4): promote a
 * cross-region read replica to a standalone writable database. Two forms,
 * exactly one per step (runbook.c refuses both or neither):
 *
 *   RDSInstanceIdentifier  an RDS instance read replica: PromoteReadReplica
 *                          (BackupRetentionPeriod passed through);
 *                          observation {"instance": I|null}.
 *   DBClusterIdentifier    an Aurora/RDS read-replica DB cluster:
 *                          PromoteReadReplicaDBCluster; observation
 *                          {"cluster": C|null} (DescribeDBClusters).
 *
 * Either identifier may be a bare id (the step's region) or an ARN (its
 * region). Describe and promote go to that region.
 *
 * Done (ARCHITECTURE section 5: "available and no longer a replica, after a
 * transition was observed"): the resource is available, has no replication
 * source (ReadReplicaSourceDBInstanceIdentifier / ReplicationSourceIdentifier
 * empty) AND this step's baseline - the observation the executor persists
 * with the 'intent' record right before the mutating call, restored after a
 * restart - shows it was a replica. So a resumed step after a crash, or a
 * call AWS refused because the promotion was already under way, recognises
 * its own promotion; but a database that is standalone before this step
 * ever sent anything is NOT reported "already satisfied": from describe
 * calls alone that cannot be told apart from a runbook naming a database
 * that never was a replica (the old primary, a typo'd export), and for a
 * step that can lose data and is usually followed by a DNS flip, a false
 * success is worse than a refusal. Precheck then refuses with a sentence
 * saying exactly that. A replica that is not available (someone's
 * promotion or a modification under way) is IN_PROGRESS: wait, look again.
 *
 * TargetClusterIdentifier (seed 001 passes "!Import
 * rds-mysql-instance-global-arn"): seed 001's own Lambda never reads it,
 * and its failback manifest passes the same export next to a separate
 * source identifier, so it names the database being promoted. drgate
 * does not act on it (no call takes it); it is kept in the plan's
 * parameters (digest, approval text). It is checked only where it can be:
 * when it is an RDS ARN of a DB instance ("...:db:NAME") or DB cluster
 * ("...:cluster:NAME"), precheck refuses unless it names the resource
 * being promoted (same kind, name and region) or that resource's current
 * replication source. Any other value (a bare name, a global-cluster ARN)
 * is informational and unchecked.
 *
 * Ownership: each observe/mutate allocates one job that copies what it
 * needs from the borrowed step and frees itself before completing. Errors:
 * a NotFound from Describe is an observation ({"instance": null}); other
 * errors go to the executor unchanged.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "actions_internal.h"
#include "arn.h"
#include "json.h"
#include "mem.h"
#include "rds.h"

/* The form a step uses: which parameter, observation key and source field. */
struct form {
    const char *param;   /* RDSInstanceIdentifier / DBClusterIdentifier */
    const char *key;     /* "instance" / "cluster" */
    const char *src_key; /* observation field naming the replication source */
    const char *kind;    /* ARN resource type: "db" / "cluster" */
    const char *noun;    /* for people */
};

static const struct form f_instance = {"RDSInstanceIdentifier", "instance",
                                       "read_replica_source", "db", "instance"};
static const struct form f_cluster = {"DBClusterIdentifier", "cluster",
                                      "replication_source", "cluster",
                                      "cluster"};

static const struct form *
form_of(const struct action_step *st)
{
    return act_param(st, "DBClusterIdentifier") ? &f_cluster : &f_instance;
}

/* Where the resource lives: an ARN's region, else the step's. */
static void
home_region(const struct action_step *st, const struct form *f, char *out,
            size_t n)
{
    if (!act_arn_region(act_param(st, f->param), out, n))
        snprintf(out, n, "%s", st->region ? st->region : "");
}

/* --- observe ------------------------------------------------------------ */

struct job {
    const struct form *f;
    action_observe_fn odone;
    action_mutate_fn mdone;
    void *ctx;
};

static int
not_found(dg_rc rc, const struct dg_err *err)
{
    return rc == DG_EREMOTE && err &&
           (strcmp(err->code, "DBInstanceNotFound") == 0 ||
            strcmp(err->code, "DBInstanceNotFoundFault") == 0 ||
            strcmp(err->code, "DBClusterNotFoundFault") == 0);
}

static void
on_described(const void *result, dg_rc rc, const struct dg_err *err, void *ctx)
{
    struct job *j = ctx;
    const struct form *f = j->f;
    action_observe_fn done = j->odone;
    void *c = j->ctx;
    dg_free(j);
    if (rc != DG_OK && !not_found(rc, err)) {
        done(NULL, rc, err, c);
        return;
    }
    cJSON *obs = cJSON_CreateObject();
    cJSON *r;
    if (f == &f_cluster) {
        const struct rds_clusters *l = result;
        r = act_obs_cluster(rc == DG_OK && l->n ? &l->v[0] : NULL);
    } else {
        const struct rds_instances *l = result;
        r = act_obs_instance(rc == DG_OK && l->n ? &l->v[0] : NULL);
    }
    cJSON_AddItemToObject(obs, f->key, r);
    done(obs, DG_OK, NULL, c);
}

static void
replica_observe(void *impl, const struct action_step *st,
                action_observe_fn done, void *ctx)
{
    const struct form *f = form_of(st);
    struct job *j = dg_calloc(1, sizeof(*j));
    j->f = f;
    j->odone = done;
    j->ctx = ctx;
    char region[64];
    home_region(st, f, region, sizeof(region));
    if (f == &f_cluster)
        rds_describe_db_clusters(impl, region, act_param(st, f->param),
                                 on_described, j);
    else
        rds_describe_db_instances(impl, region, act_param(st, f->param),
                                  on_described, j);
}

/* --- predicates --------------------------------------------------------- */

/* 1 when the baseline (taken right before this step's call) shows the
 * resource as a replica: the transition, if any, is this step's. */
static int
baseline_was_replica(const struct action_step *st, const struct form *f)
{
    const cJSON *b = dg_json_obj(st->baseline, f->key);
    return b && dg_json_str(b, f->src_key) != NULL;
}

static enum action_assess
replica_assess(const struct action_step *st, const cJSON *obs, char *why,
               size_t n, int64_t *hint)
{
    const struct form *f = form_of(st);
    const cJSON *r = dg_json_obj(obs, f->key);
    const char *id = act_param(st, f->param);
    if (!r) {
        snprintf(why, n, "%s %s not found", f->noun, id);
        return ACTION_NOT_STARTED;
    }
    const char *src = dg_json_str(r, f->src_key);
    const char *status = dg_json_str(r, "status");
    int available = act_str_is(r, "status", "available");
    if (src) {
        if (available) {
            snprintf(why, n, "%s is an available read replica of %s", id, src);
            return ACTION_NOT_STARTED;
        }
        snprintf(why, n, "%s is %s (still a replica of %s)", id,
                 status ? status : "in an unknown state", src);
        *hint = 1000;
        return ACTION_IN_PROGRESS;
    }
    if (!baseline_was_replica(st, f)) {
        snprintf(why, n,
                 "%s is a standalone %s (%s) that this step never saw as a "
                 "read replica",
                 id, f->noun, status ? status : "unknown state");
        return ACTION_NOT_STARTED;
    }
    if (available) {
        snprintf(why, n,
                 "%s was promoted: standalone and available (a replica of "
                 "%s before the call)",
                 id,
                 dg_json_str(dg_json_obj(st->baseline, f->key), f->src_key));
        return ACTION_GOAL_HOLDS;
    }
    snprintf(why, n, "%s is %s (no longer a replica)", id,
             status ? status : "in an unknown state");
    *hint = 1000;
    return ACTION_IN_PROGRESS;
}

/* "arn:PARTITION:rds:REGION:ACCOUNT:KIND:NAME" -> its parts; 0 otherwise. */
static int
rds_arn_parts(const char *s, char *region, size_t rn, char *kind, size_t kn,
              const char **name)
{
    struct dg_arn a;
    if (!dg_arn_parse(s, &a) || !dg_arn_is(&a, DG_ARN_SERVICE, "rds"))
        return 0;
    const char *res = a.f[DG_ARN_RESOURCE];
    const char *c = strchr(res, ':');
    size_t kl = c ? (size_t)(c - res) : 0;
    if (!c || !c[1] || kl >= kn || !dg_arn_copy(&a, DG_ARN_REGION, region, rn))
        return 0;
    memcpy(kind, res, kl);
    kind[kl] = '\0';
    *name = c + 1;
    return 1;
}

/* The TargetClusterIdentifier check (see the opening comment): DG_OK when
 * it is informational or names the resource or its source. */
static dg_rc
check_target(const struct action_step *st, const struct form *f, const cJSON *r,
             char *why, size_t n)
{
    const char *t = act_param(st, "TargetClusterIdentifier");
    char region[64], kind[32];
    const char *name;
    if (!t ||
        !rds_arn_parts(t, region, sizeof(region), kind, sizeof(kind), &name))
        return DG_OK;
    if (strcmp(kind, "db") != 0 && strcmp(kind, "cluster") != 0)
        return DG_OK; /* e.g. a global-cluster ARN: informational */
    char home[64];
    home_region(st, f, home, sizeof(home));
    const char *id = dg_json_str(r, "id");
    if (strcmp(kind, f->kind) == 0 && strcmp(region, home) == 0 && id &&
        strcasecmp(name, id) == 0)
        return DG_OK; /* the resource being promoted */
    const char *src = dg_json_str(r, f->src_key);
    if (src && (strcmp(src, t) == 0 ||
                (strncmp(src, "arn:", 4) != 0 && strcmp(kind, f->kind) == 0 &&
                 strcmp(region, home) == 0 && strcasecmp(src, name) == 0)))
        return DG_OK; /* its replication source */
    snprintf(why, n,
             "TargetClusterIdentifier %s names neither the %s being promoted "
             "(%s in %s) nor its replication source (%s)",
             t, f->noun, id ? id : "?", home, src ? src : "none");
    return DG_EINVALID;
}

static dg_rc
replica_precheck(const struct action_step *st, const cJSON *obs, char *why,
                 size_t n)
{
    const struct form *f = form_of(st);
    const cJSON *r = dg_json_obj(obs, f->key);
    const char *id = act_param(st, f->param);
    if (!r) {
        snprintf(why, n, "%s %s not found", f->noun, id);
        return DG_EINVALID;
    }
    if (f == &f_cluster && dg_json_str(r, "global_cluster_id")) {
        snprintf(why, n,
                 "cluster %s is a member of global cluster %s, not a read "
                 "replica cluster (use UnPlannedFailoverAurora to detach and "
                 "promote it)",
                 id, dg_json_str(r, "global_cluster_id"));
        return DG_EINVALID;
    }
    if (!dg_json_str(r, f->src_key)) {
        snprintf(why, n,
                 "%s is not a read replica: nothing to promote. It was "
                 "standalone before this step sent anything, so drgate "
                 "cannot tell an earlier promotion (by hand or by an earlier "
                 "plan) from a runbook naming the wrong %s; check the "
                 "identifier, and drop the step if it was promoted already",
                 id, f->noun);
        return DG_EINVALID;
    }
    if (!act_str_is(r, "status", "available")) {
        snprintf(why, n, "%s is %s, not available", id,
                 dg_json_str(r, "status"));
        return DG_EINVALID;
    }
    return check_target(st, f, r, why, n);
}

static int
replica_already_done(const struct action_step *st, const struct dg_err *err,
                     const cJSON *obs)
{
    (void)err;
    char why[256];
    int64_t hint = 0;
    return replica_assess(st, obs, why, sizeof(why), &hint) !=
           ACTION_NOT_STARTED;
}

/* --- mutate ------------------------------------------------------------- */

static void
on_promoted(const void *result, dg_rc rc, const struct dg_err *err, void *ctx)
{
    (void)result;
    struct job *j = ctx;
    action_mutate_fn done = j->mdone;
    void *c = j->ctx;
    dg_free(j);
    done(NULL, rc, err, c);
}

static void
replica_mutate(void *impl, const struct action_step *st, const cJSON *obs,
               action_mutate_fn done, void *ctx)
{
    const struct form *f = form_of(st);
    struct job *j = dg_calloc(1, sizeof(*j));
    j->f = f;
    j->mdone = done;
    j->ctx = ctx;
    char region[64];
    home_region(st, f, region, sizeof(region));
    /* The observed bare id (the Promote calls document an identifier, not
     * an ARN); the parameter if the observation has none. */
    const char *id = dg_json_str(dg_json_obj(obs, f->key), "id");
    if (!id)
        id = act_param(st, f->param);
    if (f == &f_cluster)
        rds_promote_read_replica_db_cluster(impl, region, id, on_promoted, j);
    else
        rds_promote_read_replica(
            impl, region, id,
            (int)act_param_int(st, "BackupRetentionPeriod", -1), on_promoted,
            j);
}

const struct action_ops act_promote_rds_replica = {
    .type = "PromoteRDSReadReplica",
    .observe = replica_observe,
    .precheck = replica_precheck,
    .assess = replica_assess,
    .mutate = replica_mutate,
    .already_done = replica_already_done,
};
