/*
 * daemon.c - `drgate run`: the lifecycle around the engine and the outbox.
 *
 * Ownership: the daemon owns the store, the engine, the outbox and every
 * source and sink it created; it borrows the event base and the config.
 * Errors while starting come back through dg_err; errors at run time are
 * logged here (this is where drgate decides to retry or stop) and end in
 * the exit status.
 *
 * DESIGN: sources hand messages to deliver(), which only queues them and
 * activates a deferred event; process_cb takes up to `batch` queued
 * messages and runs them through the engine inside one transaction, in
 * which the engine's emit callback appends the CloudEvents to the events
 * table (outbox and audit chain in one). After the commit every message is
 * acked SOURCE_COMMITTED and the outbox is kicked; when the store fails
 * the transaction is rolled back, the engine reloads its state and every
 * message of the batch is acked SOURCE_RETRY (the transport redelivers;
 * dedup keeps the effects single). Refused input is an event like any
 * other and is acked. Sources are paused while too many messages wait or
 * while some sink is more than backlog_limit events behind: nothing is
 * dropped.
 *
 * States: STARTING (sinks start, then sources; "ready" once all have) ->
 * RUNNING -> DRAINING (SIGTERM/SIGINT, every source ended, or a fatal
 * error: stop the sources, finish the queued messages) -> FLUSHING (wait
 * for the outbox to be acknowledged) -> STOPPING (stop the sinks) -> DONE
 * (loop exit). One deadline covers DRAINING and FLUSHING; past it queued
 * messages are acked SOURCE_RETRY and the sinks are stopped anyway (what
 * they did not acknowledge stays in the outbox for the next start). A hard
 * deadline 5 s later ends the loop whatever is left. SIGHUP reopens logs:
 * drgate logs to stderr only, so it is logged and otherwise a no-op.
 *
 * AWS stack: one HTTP engine + credentials chain + aws_client on the
 * daemon's loop, created on first use (daemon_aws_client) when an adapter
 * needs it (source_ops.needs_aws, sink_ops.create_aws) or a command
 * arrives; freed in daemon_free before the adapters, so their outstanding
 * calls complete (DG_ECANCELLED) while they still exist.
 *
 * Policy timer: the policy only moves when a signal arrives, so tick_ev
 * fires at the policy's next instant (engine_next_deadline), at most 1 s
 * away, and runs engine_tick with the wall clock in its own transaction
 * once no message is queued. Replay never ticks.
 *
 * Observability (observe.c): messages are counted as they arrive, the
 * events of a transaction once it commits (observe_commit after every
 * commit, observe_rollback after a rollback), AWS calls through the
 * stack's observer. With opts.http the endpoint is bound in daemon_new
 * (a bind failure is a startup error) and closed first in daemon_free.
 *
 * Commands: seed 000 "status"/"validate" reach on_command inside the
 * message's transaction; they are started after the commit (forgotten on
 * rollback, so a redelivery starts them again), the message is acked with
 * its batch, and the answer becomes a drgate.command.replied event in its
 * own transaction. A crash before the answer loses the reply (read-only:
 * send the command again). DRAINING waits for running commands.
 */
#include "daemon.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <openssl/rand.h>

#include "clock.h"
#include "config.h"
#include "engine.h"
#include "events.h"
#include "json.h"
#include "log.h"
#include "orch_aws.h"
#include "orchestrator.h"
#include "mem.h"
#include "observe.h"
#include "outbox.h"
#include "registry.h"
#include "sink.h"
#include "source.h"
#include "store.h"
#include "store_events.h"

enum dstate {
    D_STARTING,
    D_RUNNING,
    D_DRAINING,
    D_FLUSHING,
    D_STOPPING,
    D_DONE
};

struct dsrc {
    struct daemon *d;
    struct source *src;
    char *name;
    int started, ended, stopped, stop_sent;
};

struct dsnk {
    struct daemon *d;
    struct sink *snk;
    char *name; /* cursor key */
    int started, stopped, stop_sent;
};

/* A status/validate command recorded in the open transaction (pending:
 * started after the commit) or waiting for its AWS answer (running). */
struct dcmd {
    struct daemon *d;
    char *action, *gc, *target, *message_id, *origin;
    struct dcmd *next;
};

struct msg {
    struct dsrc *from;
    void *handle;
    const char *data;
    size_t len;
    const char *origin;
    struct msg *next;
    int sns_checked; /* the SNS signature pre-check ran */
    dg_rc sns_rc;
    char *sns_why;
};

struct daemon {
    struct event_base *base;
    const struct dg_config *cfg;
    struct daemon_opts o;
    struct store *st;
    struct engine *eng;
    struct outbox *ob;
    struct dsrc *srcs;
    size_t nsrcs;
    struct dsnk *snks;
    size_t nsnks;
    struct msg *qhead, *qtail;
    size_t qlen;
    struct event *process_ev, *check_ev, *deadline_ev, *hard_ev;
    struct event *sig_term, *sig_int, *sig_hup;
    enum dstate state;
    int status; /* exit status; 0 unless something failed */
    int ready;
    int paused;
    /* The open transaction's emit state. */
    dg_rc emit_rc;
    struct dg_err emit_err;
    int64_t last_seq;
    int64_t now;
    const char *cur_origin;
    char cur_decision[EVENTS_UUID_LEN + 1];
    /* The shared AWS stack (created on first use), the policy timer and
     * the seed 000 commands (see "AWS stack, policy timer, commands"). */
    struct aws_stack *aws;
    struct event *tick_ev;
    struct dcmd *cmd_pending; /* recorded in the open transaction */
    size_t cmd_running;       /* waiting for AWS */
    int freeing;
    /* The plan lifecycle (NULL without AWS services). */
    struct orchestrator *orch;
    struct orch_aws *orch_aws;
    int in_batch;
    size_t parked; /* messages waiting for their SNS signature check */
    /* Metrics and the HTTP endpoint (observe.h): events count when their
     * transaction commits. */
    struct observe *obs;
    char *port_file;
};

static int64_t
default_now(void *ctx)
{
    (void)ctx;
    return dg_clock_wall_ms();
}

static void
default_random(unsigned char *buf, size_t n, void *ctx)
{
    (void)ctx;
    if (RAND_bytes(buf, (int)n) != 1) {
        /* No randomness means no unique ids: drgate cannot go on. */
        fprintf(stderr, "drgate: RAND_bytes failed\n");
        abort();
    }
}

char *
daemon_store_path(const struct dg_config *cfg)
{
    const char *p = cfg->store.path ? cfg->store.path : "drgate.db";
    const char *dir = cfg->service.state_dir;
    if (p[0] == '/' || !dir || !*dir)
        return dg_strdup(p);
    size_t n = strlen(dir);
    return dg_sprintf("%s%s%s", dir, dir[n - 1] == '/' ? "" : "/", p);
}

static void check(struct daemon *d);

static void
kick_check(struct daemon *d)
{
    event_active(d->check_ev, 0, 0);
}

/* ---- events ---------------------------------------------------------- */

static void
on_emit(const cJSON *line, void *ctx)
{
    struct daemon *d = ctx;
    if (d->emit_rc != DG_OK)
        return;
    const char *kind = dg_json_str(line, "kind");
    const char *type = events_type_for_kind(kind);
    if (!type) {
        d->emit_rc = dg_err_setc(&d->emit_err, DG_EFATAL, "event",
                                 "engine emitted an unknown kind");
        return;
    }
    unsigned char rnd[16];
    d->o.random(rnd, sizeof(rnd), d->o.clock_ctx);
    char id[EVENTS_UUID_LEN + 1];
    events_uuid4(rnd, id);
    const char *msgid = engine_message_id(d->eng);
    cJSON *data = cJSON_Duplicate(line, 1);
    if (msgid)
        cJSON_AddStringToObject(data, "message_id", msgid);
    if (d->cur_origin && !cJSON_HasObjectItem(data, "origin"))
        cJSON_AddStringToObject(data, "origin", d->cur_origin);
    const char *subject = msgid;
    if (strcmp(type, EVENTS_DECISION_MADE) == 0) {
        memcpy(d->cur_decision, id, sizeof(id));
        cJSON_AddStringToObject(data, "decision_id", id);
    } else if (strcmp(type, EVENTS_PLAN_PROPOSED) == 0) {
        if (d->cur_decision[0])
            cJSON_AddStringToObject(data, "decision_id", d->cur_decision);
        subject = dg_json_str(line, "plan_id");
    }
    cJSON *ev =
        events_new(d->cfg->service.name, type, id, d->now, subject, data);
    int64_t seq = 0;
    d->emit_rc = store_events_append(d->st, ev, d->now, &seq, &d->emit_err);
    if (d->emit_rc == DG_OK) {
        d->last_seq = seq;
        observe_event(d->obs, type,
                      cJSON_GetObjectItemCaseSensitive(ev, "data"));
    }
    cJSON_Delete(ev);
}

/* ---- AWS stack, policy timer, commands -------------------------------- */

const struct svc_client *
daemon_aws_client(struct daemon *d)
{
    if (!d->aws)
        d->aws = registry_aws_new(d->base, d->cfg, observe_aws_call, d->obs);
    return registry_aws_svc(d->aws);
}

/* Appends one event outside the engine (a command reply) in its own
 * transaction. */
static dg_rc
append_event(struct daemon *d, const char *type, const char *subject,
             cJSON *data, struct dg_err *err)
{
    unsigned char rnd[16];
    d->o.random(rnd, sizeof(rnd), d->o.clock_ctx);
    char id[EVENTS_UUID_LEN + 1];
    events_uuid4(rnd, id);
    int64_t now = d->o.now_ms(d->o.clock_ctx);
    cJSON *ev = events_new(d->cfg->service.name, type, id, now, subject, data);
    int64_t seq = 0;
    observe_commit(d->obs); /* what is pending belongs to an ended one */
    dg_rc rc = store_begin(d->st, err);
    if (rc == DG_OK)
        rc = store_events_append(d->st, ev, now, &seq, err);
    if (rc == DG_OK)
        observe_event(d->obs, type,
                      cJSON_GetObjectItemCaseSensitive(ev, "data"));
    if (rc == DG_OK)
        rc = store_commit(d->st, err);
    cJSON_Delete(ev);
    if (rc != DG_OK) {
        store_rollback(d->st);
        observe_rollback(d->obs);
        return rc;
    }
    observe_commit(d->obs);
    outbox_kick(d->ob, seq);
    return DG_OK;
}

static void
dcmd_free(struct dcmd *c)
{
    dg_free(c->action);
    dg_free(c->gc);
    dg_free(c->target);
    dg_free(c->message_id);
    dg_free(c->origin);
    dg_free(c);
}

static void
on_command_answer(const cJSON *reply, dg_rc rc, void *ctx)
{
    struct dcmd *c = ctx;
    struct daemon *d = c->d;
    d->cmd_running--;
    if (rc != DG_OK || d->freeing) {
        log_kv(DG_LOG_WARN, "command not answered (shutting down)", "action",
               c->action, "message_id", c->message_id, NULL);
        dcmd_free(c);
        return;
    }
    cJSON *data = cJSON_Duplicate(reply, 1);
    cJSON_AddStringToObject(data, "kind", "reply");
    cJSON_AddStringToObject(data, "action", c->action);
    if (c->gc)
        cJSON_AddStringToObject(data, "global_cluster", c->gc);
    if (c->target)
        cJSON_AddStringToObject(data, "target_cluster", c->target);
    cJSON_AddStringToObject(data, "message_id", c->message_id);
    if (c->origin)
        cJSON_AddStringToObject(data, "origin", c->origin);
    struct dg_err err;
    dg_err_clear(&err);
    if (append_event(d, EVENTS_COMMAND_REPLIED, c->message_id, data, &err) !=
        DG_OK)
        log_kv(DG_LOG_ERROR, "store failed: command reply lost", "action",
               c->action, "message_id", c->message_id, "error", err.msg, NULL);
    dcmd_free(c);
    kick_check(d);
}

/* engine hook: inside the message's transaction; started after commit. */
static dg_rc
on_command(const struct engine_command *ec, void *ctx, struct dg_err *err)
{
    (void)err;
    struct daemon *d = ctx;
    struct dcmd *c = dg_calloc(1, sizeof(*c));
    c->d = d;
    c->action = dg_strdup(ec->action);
    c->gc = ec->global_cluster ? dg_strdup(ec->global_cluster) : NULL;
    c->target = ec->target_cluster ? dg_strdup(ec->target_cluster) : NULL;
    c->message_id = dg_strdup(ec->message_id ? ec->message_id : "");
    c->origin = ec->origin ? dg_strdup(ec->origin) : NULL;
    c->next = d->cmd_pending;
    d->cmd_pending = c;
    return DG_OK;
}

/* After the transaction: start (committed) or forget (rolled back). */
static void
commands_settle(struct daemon *d, int committed)
{
    struct dcmd *list = d->cmd_pending, *rev = NULL;
    d->cmd_pending = NULL;
    while (list) { /* back to arrival order */
        struct dcmd *n = list->next;
        list->next = rev;
        rev = list;
        list = n;
    }
    while (rev) {
        struct dcmd *c = rev;
        rev = c->next;
        c->next = NULL;
        if (!committed) {
            dcmd_free(c);
            continue;
        }
        log_kv(DG_LOG_INFO, "command", "action", c->action, "message_id",
               c->message_id, NULL);
        d->cmd_running++;
        registry_aws_command(daemon_aws_client(d), c->action, c->gc, c->target,
                             on_command_answer, c);
    }
}

/* Re-arms the policy timer: at the policy's next instant, at most 1 s
 * away (so a wall clock that jumps is noticed within a second). */
static void
schedule_tick(struct daemon *d)
{
    if (d->state >= D_FLUSHING)
        return;
    int64_t next = engine_next_deadline(d->eng);
    int64_t now = d->o.now_ms(d->o.clock_ctx);
    int64_t ms = 1000;
    if (next != INT64_MAX && next - now < ms)
        ms = next > now ? next - now : 0;
    dg_clock_arm(d->tick_ev, ms);
}

/* The policy timer: evaluates what is due by the wall clock in its own
 * transaction (a sustained failure is proposed on time even when no
 * further message arrives). */
static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct daemon *d = arg;
    int64_t now = d->o.now_ms(d->o.clock_ctx);
    /* Queued messages go first (they may move the policy themselves);
     * process_cb re-arms the timer when it is done. */
    if ((d->state == D_RUNNING || d->state == D_DRAINING) && !d->qhead &&
        engine_next_deadline(d->eng) <= now) {
        struct dg_err err;
        dg_err_clear(&err);
        d->emit_rc = DG_OK;
        dg_err_clear(&d->emit_err);
        d->last_seq = 0;
        d->now = now;
        d->cur_origin = NULL;
        d->cur_decision[0] = '\0';
        observe_commit(d->obs);
        dg_rc rc = store_begin(d->st, &err);
        if (rc == DG_OK)
            rc = engine_tick(d->eng, now, &err);
        if (rc == DG_OK && d->emit_rc != DG_OK) {
            rc = d->emit_rc;
            err = d->emit_err;
        }
        if (rc == DG_OK)
            rc = engine_checkpoint(d->eng, &err);
        if (rc == DG_OK)
            rc = store_commit(d->st, &err);
        if (rc == DG_OK) {
            observe_commit(d->obs);
            if (d->last_seq)
                outbox_kick(d->ob, d->last_seq);
        } else {
            store_rollback(d->st);
            observe_rollback(d->obs);
            log_kv(DG_LOG_ERROR, "store failed: policy timer retries", "error",
                   err.msg, NULL);
            struct dg_err rerr;
            dg_err_clear(&rerr);
            if (engine_reload(d->eng, &rerr) != DG_OK) {
                log_kv(DG_LOG_ERROR, "cannot reload the policy state", "error",
                       rerr.msg, NULL);
                d->status = 1;
                daemon_shutdown(d);
            }
        }
    }
    schedule_tick(d);
}

/* ---- the orchestrator's host side ------------------------------------ */

static dg_rc
orch_append(const char *type, const char *subject, cJSON *data,
            struct dg_err *err, void *ctx)
{
    struct daemon *d = ctx;
    unsigned char rnd[16];
    d->o.random(rnd, sizeof(rnd), d->o.clock_ctx);
    char id[EVENTS_UUID_LEN + 1];
    events_uuid4(rnd, id);
    int64_t t = d->in_batch ? d->now : d->o.now_ms(d->o.clock_ctx);
    const char *msgid = d->in_batch ? engine_message_id(d->eng) : NULL;
    if (msgid && !cJSON_HasObjectItem(data, "message_id"))
        cJSON_AddStringToObject(data, "message_id", msgid);
    if (!subject)
        subject = msgid ? msgid : type;
    cJSON *ev = events_new(d->cfg->service.name, type, id, t, subject, data);
    int64_t seq = 0;
    dg_rc rc = store_events_append(d->st, ev, t, &seq, err);
    if (rc == DG_OK && seq > d->last_seq)
        d->last_seq = seq;
    if (rc == DG_OK)
        observe_event(d->obs, type,
                      cJSON_GetObjectItemCaseSensitive(ev, "data"));
    cJSON_Delete(ev);
    return rc;
}

static void
orch_committed(void *ctx)
{
    struct daemon *d = ctx;
    observe_commit(d->obs);
    if (d->last_seq)
        outbox_kick(d->ob, d->last_seq);
}

static dg_rc
orch_rearm(int64_t now_ms, struct dg_err *err, void *ctx)
{
    struct daemon *d = ctx;
    if (!d->in_batch) {
        d->now = now_ms;
        d->emit_rc = DG_OK;
        d->cur_origin = NULL;
        d->cur_decision[0] = '\0';
    } else if (d->emit_rc != DG_OK) {
        *err = d->emit_err;
        return d->emit_rc;
    }
    dg_rc rc = engine_rearm(d->eng, now_ms, err);
    if (rc == DG_OK && d->emit_rc != DG_OK) {
        *err = d->emit_err;
        rc = d->emit_rc;
    }
    if (rc == DG_OK)
        rc = engine_checkpoint(d->eng, err);
    return rc;
}

static int64_t
orch_now(void *ctx)
{
    struct daemon *d = ctx;
    return d->o.now_ms(d->o.clock_ctx);
}

static void
orch_cause(const char **message_id, const char **decision_id, void *ctx)
{
    struct daemon *d = ctx;
    *message_id = engine_message_id(d->eng); /* NULL outside the engine */
    *decision_id = d->cur_decision[0] ? d->cur_decision : NULL;
}

static void
orch_progress(void *ctx)
{
    kick_check(ctx);
}

/* ---- flow control ---------------------------------------------------- */

static void
flow(struct daemon *d)
{
    if (d->state != D_RUNNING)
        return;
    int64_t backlog = outbox_backlog(d->ob);
    /* Hysteresis: pause at the limit, resume once half of it is worked
     * off, so a busy source is not paused and resumed per message. */
    int want =
        d->paused
            ? d->qlen > d->o.max_queued / 2 || backlog >= d->o.backlog_limit / 2
            : d->qlen >= d->o.max_queued || backlog >= d->o.backlog_limit;
    if (want == d->paused)
        return;
    d->paused = want;
    if (want && backlog >= d->o.backlog_limit) {
        char b[32];
        snprintf(b, sizeof(b), "%lld", (long long)backlog);
        log_kv(DG_LOG_WARN,
               "outbox backlog over the limit: sources paused until the "
               "sinks catch up",
               "backlog", b, NULL);
    }
    for (size_t i = 0; i < d->nsrcs; i++) {
        struct dsrc *s = &d->srcs[i];
        if (!s->started || s->stop_sent)
            continue;
        if (want)
            source_pause(s->src);
        else
            source_resume(s->src);
    }
}

/* ---- messages -------------------------------------------------------- */

static void
deliver(struct source *src, void *handle, const char *data, size_t len,
        const char *origin, void *ctx)
{
    struct dsrc *s = ctx;
    struct daemon *d = s->d;
    (void)src;
    observe_received(d->obs, s->src->ops->type);
    struct msg *m = dg_calloc(1, sizeof(*m));
    m->from = s;
    m->handle = handle;
    m->data = data;
    m->len = len;
    m->origin = origin;
    if (d->qtail)
        d->qtail->next = m;
    else
        d->qhead = m;
    d->qtail = m;
    d->qlen++;
    event_active(d->process_ev, 0, 0);
    flow(d);
}

static struct msg *
take(struct daemon *d)
{
    struct msg *m = d->qhead;
    if (m) {
        d->qhead = m->next;
        if (!d->qhead)
            d->qtail = NULL;
        d->qlen--;
        m->next = NULL;
    }
    return m;
}

static void
ack_all(struct msg *list, enum source_outcome o)
{
    while (list) {
        struct msg *next = list->next;
        source_ack(list->from->src, list->handle, o);
        dg_free(list->sns_why);
        dg_free(list);
        list = next;
    }
}

static void
sns_checked(dg_rc rc, const char *why, void *ctx)
{
    struct msg *m = ctx;
    struct daemon *d = m->from->d;
    d->parked--;
    if (rc == DG_ETRANSIENT || rc == DG_ECANCELLED) {
        /* Not known whether it is genuine: let the transport redeliver. */
        log_kv(DG_LOG_WARN,
               "SNS signature check incomplete: reply left for "
               "redelivery",
               "error", why ? why : "", NULL);
        ack_all(m, SOURCE_RETRY);
        kick_check(d);
        return;
    }
    m->sns_checked = 1;
    m->sns_rc = rc;
    m->sns_why = dg_strdup(why ? why : "");
    m->next = d->qhead; /* processed next */
    d->qhead = m;
    if (!d->qtail)
        d->qtail = m;
    d->qlen++;
    event_active(d->process_ev, 0, 0);
}

/* An SNS-delivered approval reply whose signature must be checked first
 * waits outside the batch until the check completes. 1 when parked. */
static int
park_for_sns(struct daemon *d, struct msg *m)
{
    if (!d->orch || m->sns_checked ||
        !orch_sns_needed(d->orch, m->data, m->len))
        return 0;
    d->parked++;
    orch_sns_verify(d->orch, m->data, m->len, sns_checked, m);
    return 1;
}

static void
process_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct daemon *d = arg;
    if (!d->qhead)
        return;
    struct dg_err err;
    dg_err_clear(&err);
    struct msg *batch = NULL, **tail = &batch;
    d->emit_rc = DG_OK;
    dg_err_clear(&d->emit_err);
    d->last_seq = 0;
    d->now = d->o.now_ms(d->o.clock_ctx);
    observe_commit(d->obs);
    dg_rc rc = store_begin(d->st, &err);
    d->in_batch = 1;
    for (size_t i = 0; rc == DG_OK && i < d->o.batch && d->qhead; i++) {
        struct msg *m = take(d);
        if (park_for_sns(d, m))
            continue;
        *tail = m;
        tail = &m->next;
        d->cur_origin = m->origin;
        d->cur_decision[0] = '\0';
        if (d->orch)
            orch_set_sns_result(d->orch, m->sns_checked ? m->sns_rc : DG_OK,
                                m->sns_why);
        rc = engine_process(d->eng, m->data, m->len, m->from->src->ops->type,
                            m->origin, d->now, &err);
        if (rc == DG_OK && d->emit_rc != DG_OK) {
            rc = d->emit_rc;
            err = d->emit_err;
        }
    }
    if (d->orch)
        orch_set_sns_result(d->orch, DG_OK, NULL);
    d->in_batch = 0;
    d->cur_origin = NULL;
    if (rc == DG_OK)
        rc = engine_checkpoint(d->eng, &err);
    if (rc == DG_OK)
        rc = store_commit(d->st, &err);
    if (rc == DG_OK) {
        observe_commit(d->obs);
        commands_settle(d, 1);
        ack_all(batch, SOURCE_COMMITTED);
        if (d->last_seq)
            outbox_kick(d->ob, d->last_seq);
    } else {
        store_rollback(d->st);
        observe_rollback(d->obs);
        commands_settle(d, 0);
        log_kv(DG_LOG_ERROR, "store failed: messages left for redelivery",
               "error", err.msg, "rc", dg_rc_name(rc), NULL);
        struct dg_err rerr;
        dg_err_clear(&rerr);
        if (engine_reload(d->eng, &rerr) != DG_OK) {
            log_kv(DG_LOG_ERROR, "cannot reload the policy state", "error",
                   rerr.msg, NULL);
            d->status = 1;
            daemon_shutdown(d);
        }
        ack_all(batch, SOURCE_RETRY);
    }
    if (d->qhead)
        event_active(d->process_ev, 0, 0);
    schedule_tick(d);
    flow(d);
    kick_check(d);
}

/* ---- sources --------------------------------------------------------- */

static void
src_started(struct source *src, void *ctx)
{
    (void)src;
    struct dsrc *s = ctx;
    s->started = 1;
    log_kv(DG_LOG_INFO, "source started", "source", s->name, NULL);
    if (s->d->paused && !s->stop_sent)
        source_pause(s->src);
    kick_check(s->d);
}

static void
src_failed(struct source *src, const struct dg_err *err, void *ctx)
{
    (void)src;
    struct dsrc *s = ctx;
    log_kv(DG_LOG_ERROR, "source failed", "source", s->name, "error",
           err ? err->msg : "", NULL);
    s->d->status = 1;
    s->ended = 1;
    daemon_shutdown(s->d);
}

static void
src_ended(struct source *src, void *ctx)
{
    (void)src;
    struct dsrc *s = ctx;
    s->ended = 1;
    log_kv(DG_LOG_INFO, "source ended", "source", s->name, NULL);
    kick_check(s->d);
}

static void
src_stopped(struct source *src, void *ctx)
{
    (void)src;
    struct dsrc *s = ctx;
    s->stopped = 1;
    kick_check(s->d);
}

/* ---- sinks ----------------------------------------------------------- */

static void
snk_started(struct sink *snk, dg_rc rc, const struct dg_err *err, void *ctx)
{
    (void)snk;
    struct dsnk *k = ctx;
    struct daemon *d = k->d;
    if (rc != DG_OK) {
        log_kv(DG_LOG_ERROR, "sink failed to start", "sink", k->name, "error",
               err ? err->msg : dg_rc_name(rc), NULL);
        k->stopped = 1; /* nothing to stop */
        d->status = 1;
        daemon_shutdown(d);
        return;
    }
    k->started = 1;
    log_kv(DG_LOG_INFO, "sink started", "sink", k->name, NULL);
    kick_check(d);
}

static void
snk_stopped(struct sink *snk, dg_rc rc, const struct dg_err *err, void *ctx)
{
    (void)snk;
    (void)rc;
    (void)err;
    struct dsnk *k = ctx;
    k->stopped = 1;
    kick_check(k->d);
}

/* ---- lifecycle ------------------------------------------------------- */

static void
stop_sources(struct daemon *d)
{
    for (size_t i = 0; i < d->nsrcs; i++) {
        struct dsrc *s = &d->srcs[i];
        if (!s->stop_sent) {
            s->stop_sent = 1;
            source_stop(s->src);
        }
    }
}

static void
stop_sinks(struct daemon *d)
{
    outbox_halt(d->ob);
    d->state = D_STOPPING;
    for (size_t i = 0; i < d->nsnks; i++) {
        struct dsnk *k = &d->snks[i];
        if (!k->stop_sent && !k->stopped) {
            k->stop_sent = 1;
            sink_stop(k->snk, snk_stopped, k);
        }
    }
}

static void
finish(struct daemon *d)
{
    outbox_flush_cursors(d->ob);
    if (!outbox_idle(d->ob)) {
        char b[32];
        snprintf(b, sizeof(b), "%lld", (long long)outbox_backlog(d->ob));
        log_kv(DG_LOG_WARN,
               "stopped with undelivered events: they stay in the outbox "
               "for the next start",
               "backlog", b, NULL);
    }
    d->state = D_DONE;
    const struct engine_stats *es = engine_stats(d->eng);
    char m[32], dup[32], rej[32];
    snprintf(m, sizeof(m), "%llu", (unsigned long long)es->messages);
    snprintf(dup, sizeof(dup), "%llu", (unsigned long long)es->duplicates);
    snprintf(rej, sizeof(rej), "%llu", (unsigned long long)es->rejected);
    log_kv(DG_LOG_INFO, "stopped", "messages", m, "duplicates", dup, "rejected",
           rej, NULL);
    event_base_loopexit(d->base, NULL);
}

static void
deadline_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct daemon *d = arg;
    if (d->state == D_DRAINING || d->state == D_FLUSHING) {
        log_kv(DG_LOG_WARN, "drain deadline passed: stopping anyway", NULL);
        struct msg *rest = NULL;
        struct msg **tail = &rest;
        for (struct msg *m; (m = take(d));) {
            *tail = m;
            tail = &m->next;
        }
        ack_all(rest, SOURCE_RETRY);
        stop_sinks(d);
        kick_check(d);
    }
}

static void
hard_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct daemon *d = arg;
    if (d->state != D_DONE) {
        log_kv(DG_LOG_ERROR, "sinks did not stop in time", NULL);
        d->status = 1;
        finish(d);
    }
}

static void
check(struct daemon *d)
{
    if (d->state == D_STARTING) {
        int sinks = 1, srcs = 1;
        for (size_t i = 0; i < d->nsnks; i++)
            sinks &= d->snks[i].started;
        for (size_t i = 0; i < d->nsrcs; i++)
            srcs &= d->srcs[i].started;
        if (!sinks || !srcs)
            return;
        d->state = D_RUNNING;
        d->ready = 1;
        log_kv(DG_LOG_INFO, "ready", NULL);
        flow(d);
    }
    if (d->state == D_RUNNING) {
        /* Only finite sources (a file without follow) end on their own. */
        int ended = d->nsrcs > 0 && !d->qhead && !d->parked &&
                    !(d->orch && orch_busy(d->orch));
        for (size_t i = 0; i < d->nsrcs; i++)
            ended &= d->srcs[i].ended;
        if (!ended)
            return;
        log_kv(DG_LOG_INFO, "every source ended", NULL);
        daemon_shutdown(d); /* re-enters check through kick_check */
        return;
    }
    if (d->state == D_DRAINING) {
        int all = !d->qhead && !d->parked && d->cmd_running == 0;
        for (size_t i = 0; i < d->nsrcs; i++)
            all &= d->srcs[i].stopped;
        if (!all)
            return;
        d->state = D_FLUSHING;
        log_kv(DG_LOG_INFO, "sources stopped: draining the outbox", NULL);
    }
    if (d->state == D_FLUSHING) {
        if (!outbox_idle(d->ob) && d->status == 0)
            return;
        stop_sinks(d);
    }
    if (d->state == D_STOPPING) {
        int all = outbox_quiet(d->ob);
        for (size_t i = 0; i < d->nsnks; i++)
            all &= d->snks[i].stopped;
        if (all)
            finish(d);
    }
}

static void
check_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    check(arg);
}

static void
progress(void *ctx)
{
    struct daemon *d = ctx;
    flow(d);
    check(d);
}

void
daemon_shutdown(struct daemon *d)
{
    if (d->state >= D_DRAINING)
        return;
    log_kv(DG_LOG_INFO, "draining", NULL);
    d->state = D_DRAINING;
    stop_sources(d);
    int64_t ms = d->o.drain_deadline_ms;
    dg_clock_arm(d->deadline_ev, ms);
    dg_clock_arm(d->hard_ev, ms + 5000);
    kick_check(d);
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    struct daemon *d = arg;
    if (sig == SIGHUP) {
        log_kv(DG_LOG_INFO, "SIGHUP: logs go to stderr, nothing to reopen",
               NULL);
        return;
    }
    if (d->state >= D_DRAINING) {
        log_kv(DG_LOG_WARN, "second signal while draining: stopping now", NULL);
        deadline_cb(-1, 0, d);
        return;
    }
    log_kv(DG_LOG_INFO, "signal: shutting down", "signal",
           sig == SIGTERM ? "SIGTERM" : "SIGINT", NULL);
    daemon_shutdown(d);
}

/* A stable cursor key: the sink's type and destination, so reordering
 * the sinks in the config keeps each one's place. */
static char *
sink_key(const struct cfg_io *io, size_t i)
{
    const char *dest = dg_json_str(io->conf, "path");
    if (!dest)
        dest = dg_json_str(io->conf, "topic_arn");
    if (!dest)
        dest = dg_json_str(io->conf, "topic");
    if (dest)
        return dg_sprintf("%s:%s", io->type, dest);
    return dg_sprintf("sinks[%zu]:%s", i, io->type);
}

/* /readyz: every source and sink started, and not shutting down. */
static int
http_ready(char *reason, size_t n, void *ctx)
{
    const struct daemon *d = ctx;
    if (d->ready && d->state < D_DRAINING)
        return 1;
    snprintf(reason, n, "%s", d->ready ? "draining" : "starting");
    return 0;
}

static int64_t
http_now(void *ctx)
{
    struct daemon *d = ctx;
    return d->o.now_ms(d->o.clock_ctx);
}

/* The HTTP endpoint on service.http_listen; the bound port is logged and
 * written to service.state_dir/http.port (for port 0). */
static dg_rc
start_http(struct daemon *d, struct dg_err *err)
{
    const char *dir = d->cfg->service.state_dir;
    if (dir && *dir)
        d->port_file = dg_sprintf("%s%shttp.port", dir,
                                  dir[strlen(dir) - 1] == '/' ? "" : "/");
    struct observe_listen_opts lo = {
        .listen = d->cfg->service.http_listen ? d->cfg->service.http_listen
                                              : "127.0.0.1:9464",
        .allow_remote = d->cfg->service.http_allow_remote,
        .store = d->st,
        .outbox = d->ob,
        .ready = http_ready,
        .ready_ctx = d,
        .now_ms = http_now,
        .clock_ctx = d,
        .port_file = d->port_file,
    };
    return observe_listen(d->obs, d->base, &lo, err);
}

/* The plan lifecycle over the composition root's AWS services. */
static dg_rc
start_orchestrator(struct daemon *d, struct dg_err *err)
{
    d->orch_aws = orch_aws_new(d->base, daemon_aws_client(d));
    struct orch_opts oo = {
        .base = d->base,
        .store = d->st,
        .cfg = d->cfg,
        .host = {.append = orch_append,
                 .committed = orch_committed,
                 .rearm = orch_rearm,
                 .progress = orch_progress,
                 .now_ms = orch_now,
                 .cause = orch_cause,
                 .ctx = d},
        .poll_first_ms = d->o.poll_first_ms,
        .poll_max_ms = d->o.poll_max_ms,
    };
    orch_aws_services(d->orch_aws, &oo.services);
    dg_rc rc = orch_new(&oo, &d->orch, err);
    if (rc != DG_OK)
        return rc;
    engine_set_proposal_fn(d->eng, orch_on_proposal, d->orch);
    engine_set_approval_fn(d->eng, orch_on_approval, d->orch);
    return DG_OK;
}

dg_rc
daemon_new(struct event_base *base, const struct dg_config *cfg,
           const struct daemon_opts *opts, struct daemon **out,
           struct dg_err *err)
{
    *out = NULL;
    struct daemon *d = dg_calloc(1, sizeof(*d));
    d->base = base;
    d->cfg = cfg;
    d->o = *opts;
    if (!d->o.drain_deadline_ms)
        d->o.drain_deadline_ms = 30000;
    if (!d->o.backlog_limit)
        d->o.backlog_limit = 100000;
    if (!d->o.max_queued)
        d->o.max_queued = 1024;
    if (!d->o.batch)
        d->o.batch = 64;
    if (!d->o.now_ms)
        d->o.now_ms = default_now;
    if (!d->o.random)
        d->o.random = default_random;
    d->process_ev = event_new(base, -1, 0, process_cb, d);
    d->check_ev = event_new(base, -1, 0, check_cb, d);
    d->deadline_ev = evtimer_new(base, deadline_cb, d);
    d->hard_ev = evtimer_new(base, hard_cb, d);
    d->tick_ev = evtimer_new(base, tick_cb, d);
    d->obs = observe_new(DRGATE_VERSION, d->o.now_ms(d->o.clock_ctx));

    dg_rc rc = DG_OK;
    char *path =
        opts->store_path ? dg_strdup(opts->store_path) : daemon_store_path(cfg);
    rc = store_open(path, STORE_SYNC_FULL, &d->st, err);
    dg_free(path);
    if (rc != DG_OK)
        goto fail;
    struct dg_buf errors;
    dg_buf_init(&errors, 64 * 1024);
    rc = engine_new(cfg, d->st, on_emit, d, &d->eng, &errors);
    if (rc != DG_OK) {
        dg_err_setc(err, rc, "engine", "%s", dg_buf_str(&errors));
        dg_buf_cleanup(&errors);
        goto fail;
    }
    dg_buf_cleanup(&errors);
    engine_set_command_hook(d->eng, on_command, d);
    if (d->o.orchestrate) {
        rc = start_orchestrator(d, err);
        if (rc != DG_OK)
            goto fail;
    }
    struct outbox_opts oo = {
        .now_ms = d->o.now_ms,
        .clock_ctx = d->o.clock_ctx,
        .progress = progress,
        .progress_ctx = d,
    };
    d->ob = outbox_new(base, d->st, &oo);

    d->snks = dg_calloc(cfg->nsinks ? cfg->nsinks : 1, sizeof(*d->snks));
    for (size_t i = 0; i < cfg->nsinks; i++) {
        const struct cfg_io *io = &cfg->sinks[i];
        const struct sink_ops *ops =
            d->o.sink_find ? d->o.sink_find(io->type) : NULL;
        if (!ops) {
            rc = dg_err_setc(err, DG_EINVALID, "config",
                             "%s: %s/type: sink type \"%s\" is not available "
                             "in this build",
                             cfg->path ? cfg->path : "config", io->ptr,
                             io->type);
            goto fail;
        }
        struct dsnk *k = &d->snks[d->nsnks];
        k->d = d;
        if (ops->create_aws)
            rc = ops->create_aws(base, io->conf, daemon_aws_client(d), &k->snk,
                                 err);
        else
            rc = ops->create(base, io->conf, &k->snk, err);
        if (rc != DG_OK)
            goto fail;
        d->nsnks++;
        k->name = sink_key(io, i);
        k->snk->name = k->name;
        rc = outbox_add_sink(d->ob, k->snk, k->name, err);
        if (rc != DG_OK)
            goto fail;
    }
    d->srcs = dg_calloc(cfg->nsources ? cfg->nsources : 1, sizeof(*d->srcs));
    for (size_t i = 0; i < cfg->nsources; i++) {
        const struct cfg_io *io = &cfg->sources[i];
        const struct source_ops *ops =
            d->o.source_find ? d->o.source_find(io->type) : NULL;
        if (!ops) {
            rc = dg_err_setc(err, DG_EINVALID, "config",
                             "%s: %s/type: source type \"%s\" is not "
                             "available in this build",
                             cfg->path ? cfg->path : "config", io->ptr,
                             io->type);
            goto fail;
        }
        struct dsrc *s = &d->srcs[d->nsrcs];
        s->d = d;
        struct source_host host = {
            .deliver = deliver,
            .started = src_started,
            .failed = src_failed,
            .ended = src_ended,
            .stopped = src_stopped,
            .ctx = s,
            .aws = ops->needs_aws ? daemon_aws_client(d) : NULL,
        };
        rc = ops->create(base, io->conf, &host, &s->src, err);
        if (rc != DG_OK)
            goto fail;
        d->nsrcs++;
        s->name = dg_sprintf("sources[%zu] (%s)", i, io->type);
        s->src->name = s->name;
    }
    if (d->o.http) {
        rc = start_http(d, err);
        if (rc != DG_OK)
            goto fail;
    }
    if (opts->handle_signals) {
        d->sig_term = evsignal_new(base, SIGTERM, signal_cb, d);
        d->sig_int = evsignal_new(base, SIGINT, signal_cb, d);
        d->sig_hup = evsignal_new(base, SIGHUP, signal_cb, d);
        event_add(d->sig_term, NULL);
        event_add(d->sig_int, NULL);
        event_add(d->sig_hup, NULL);
    }
    *out = d;
    return DG_OK;
fail:
    daemon_free(d);
    return rc;
}

void
daemon_start(struct daemon *d)
{
    struct dg_err err;
    dg_err_clear(&err);
    int64_t head = 0;
    char hash[DG_SHA256_HEX_LEN + 1];
    if (store_events_head(d->st, &head, hash, &err) == DG_OK && head)
        outbox_kick(d->ob, head); /* resume draining what a previous run
                                     left */
    if (d->orch && orch_start(d->orch, &err) != DG_OK) {
        log_kv(DG_LOG_ERROR, "cannot resume plans", "error", err.msg, NULL);
        d->status = 1;
    }
    for (size_t i = 0; i < d->nsnks; i++)
        sink_start(d->snks[i].snk, snk_started, &d->snks[i]);
    for (size_t i = 0; i < d->nsrcs; i++)
        source_start(d->srcs[i].src);
    schedule_tick(d);
    kick_check(d);
}

int
daemon_ready(const struct daemon *d)
{
    return d->ready;
}

int
daemon_status(const struct daemon *d)
{
    return d->state == D_DONE ? d->status : -1;
}

void
daemon_free(struct daemon *d)
{
    if (!d)
        return;
    /* Reverse order: signals, sources (queued messages acked first),
     * sinks, outbox, engine, store, events. */
    if (d->sig_term)
        event_free(d->sig_term);
    if (d->sig_int)
        event_free(d->sig_int);
    if (d->sig_hup)
        event_free(d->sig_hup);
    observe_stop(d->obs); /* no request is served past this point */
    /* The plan lifecycle first: parked replies are acked while their
     * sources still exist. */
    orch_free(d->orch);
    d->orch = NULL;
    struct msg *rest = NULL, **tail = &rest;
    for (struct msg *m; (m = take(d));) {
        *tail = m;
        tail = &m->next;
    }
    ack_all(rest, SOURCE_RETRY);
    /* The AWS stack goes before the adapters that borrow it: their calls
     * (and the commands') complete with DG_ECANCELLED while they exist. */
    d->freeing = 1;
    commands_settle(d, 0);
    orch_aws_free(d->orch_aws);
    registry_aws_free(d->aws);
    d->aws = NULL;
    for (size_t i = d->nsrcs; i-- > 0;) {
        source_destroy(d->srcs[i].src);
        dg_free(d->srcs[i].name);
    }
    dg_free(d->srcs);
    outbox_free(d->ob);
    for (size_t i = d->nsnks; i-- > 0;) {
        sink_destroy(d->snks[i].snk);
        dg_free(d->snks[i].name);
    }
    dg_free(d->snks);
    engine_free(d->eng);
    store_close(d->st);
    event_free(d->process_ev);
    event_free(d->check_ev);
    event_free(d->deadline_ev);
    event_free(d->hard_ev);
    event_free(d->tick_ev);
    observe_free(d->obs);
    dg_free(d->port_file);
    dg_free(d);
}

int
daemon_run(const struct dg_config *cfg, const struct daemon_opts *opts)
{
    (void)signal(SIGPIPE, SIG_IGN);
    struct event_base *base = event_base_new();
    if (!base) {
        log_kv(DG_LOG_ERROR, "cannot create the event loop", NULL);
        return 1;
    }
    struct daemon *d = NULL;
    struct dg_err err;
    dg_err_clear(&err);
    if (daemon_new(base, cfg, opts, &d, &err) != DG_OK) {
        log_kv(DG_LOG_ERROR, "cannot start", "error", err.msg, NULL);
        event_base_free(base);
        return 1;
    }
    log_kv(DG_LOG_INFO, "starting", "config", cfg->path ? cfg->path : "", NULL);
    daemon_start(d);
    event_base_dispatch(base);
    int status = daemon_status(d);
    if (status < 0)
        status = 1;
    daemon_free(d);
    event_base_free(base);
    return status;
}
