#!/usr/bin/env python3
"""Crash suite: the unplanned failover, with drgate killed (SIGKILL) at
every step boundary and at seeded random instants, restarted with the same
config and store each time.

Usage: crash_suite.py [--quick] [--seed N] [--keep] [--only RUN] [DRGATE]

The scenario is infra/local/demo's: us-east-1 in outage (its writer stops
answering the canary), two alarms, the unplanned runbook (Aurora managed
failover + ElastiCache global datastore failover, then Route53, then the
ECS service), two approvals through `drgate approve`. One sandbox serves
every run: between runs the simulator, its call counts, the Route53 record
and the queues are reset, and each run has a fresh store.

Kill points (each waits for its moment, kills, restarts):
  request         the approval request's SNS Publish was answered
  approval1       the first approval is recorded (the second is held back)
  approved        the plan is approved (quorum)
  intent:OP       OP's request is in the proxy, not forwarded: the call
                  never reaches AWS (the step's row says 'intent')
  call:OP         OP reached AWS and was answered; drgate never sees the
                  answer
  sent:STEP       the step's row says mutation = 'sent'
  wait:STEP       the step has been waiting (polling) for ~0.3 s
  done:STEP       the step succeeded (a layer boundary)
  drain           the plan's outcome is stored, the SNS sink is behind
  random:T        T seconds after the alarms (seeded)
  proposed        the approval request's Publish is in the proxy: dropped
                  (the plan is stored, the request never left)
OP is one of FailoverGlobalCluster, FailoverGlobalReplicationGroup (the
simulator), ChangeResourceRecordSets, UpdateService (moto).

Invariants, checked for every run (so for every kill in it), after drgate
stopped with SIGTERM:
  done    the plan completes: drgate.plan.succeeded, one plan only
  once    each mutating operation+target reached AWS exactly once (the
          proxies' logs, and the simulator's `calls`)
  events  the events topic's subscriber queue, drained fully, holds every
          stored event at least once, byte-identical; so does the file sink
  audit   `drgate audit verify --config` and `--file` (the file sink) pass
  sqlite  PRAGMA integrity_check on a copy, after every kill and at the end
Exit status 0 when every invariant of every run holds.
"""
import argparse
import os
import random
import shutil
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chaoslib import (Approver, GateProxy, Sandbox, Drgate, mark, table,  # noqa: E402
                      say, drgate_binary)

SIM_OPS = ("FailoverGlobalCluster", "FailoverGlobalReplicationGroup")
MOTO_OPS = ("ChangeResourceRecordSets", "UpdateService")
TRANSITION_S = 1.5
RUN_TIMEOUT_S = 150

# The runs: each a list of kill points in scenario order. Layer 1's two
# steps run concurrently, so a run targets one of its mutating calls.
QUICK = [
    ["intent:FailoverGlobalCluster", "wait:1.2", "call:ChangeResourceRecordSets", "drain"],
    ["call:FailoverGlobalReplicationGroup", "intent:UpdateService"],
]
FULL = [
    ["request", "intent:FailoverGlobalCluster", "wait:1.2",
     "intent:ChangeResourceRecordSets", "sent:3.1", "drain"],
    ["approval1", "call:FailoverGlobalCluster", "done:1.1", "call:ChangeResourceRecordSets",
     "wait:3.1", "drain"],
    # "approved" races with the first calls of layer 1: no layer-1 call
    # point after it
    ["approved", "sent:1.2", "sent:2.1", "call:UpdateService", "drain"],
    ["call:FailoverGlobalReplicationGroup", "sent:1.1", "done:2.1",
     "intent:UpdateService", "done:3.1"],
    ["intent:FailoverGlobalReplicationGroup", "wait:1.1", "done:1.2", "wait:3.1", "drain"],
    # seeded random instants
    "random", "random", "random", "random",
    # the approval request's publication lost to a kill
    ["proposed"],
]
STEP_OF = {"FailoverGlobalCluster": "1.1", "FailoverGlobalReplicationGroup": "1.2",
           "ChangeResourceRecordSets": "2.1", "UpdateService": "3.1"}
RANDOM_PER_RUN = 3
RANDOM_SPAN_S = (1.0, 8.0)


def expected_calls(sb):
    v = sb.cfg["topology"]["variables"]
    return {
        "FailoverGlobalCluster": {v["global_cluster_id"]: 1},
        "FailoverGlobalReplicationGroup": {v["global_replication_group_id"]: 1},
        "ChangeResourceRecordSets": {v["hosted_zone_id"]: 1},
        "UpdateService": {"%s/%s" % (v["ecs_cluster_secondary"],
                                     v["ecs_service_secondary"]): 1},
    }


def sim_expected(sb):
    v = sb.cfg["topology"]["variables"]
    return {"FailoverGlobalCluster": {"%s->%s" % (v["global_cluster_id"],
                                                  v["target_cluster"]): 1},
            "FailoverGlobalReplicationGroup": {"%s->%s/%s" % (
                v["global_replication_group_id"], sb.cfg["topology"]["secondary_region"],
                v["secondary_replication_group_id"]): 1}}


class Crash:
    def __init__(self, sb, binary, sim_px, moto_px, keep):
        self.sb, self.binary, self.sim_px, self.moto_px = sb, binary, sim_px, moto_px
        self.keep = keep

    def proxy_for(self, op):
        return self.sim_px if op in SIM_OPS else self.moto_px

    def trigger(self, spec, run, t0, state):
        """True when the kill point has come. May arm a proxy hold."""
        kind, _, arg = spec.partition(":")
        if kind in ("intent", "call", "proposed"):
            h = state.get("hold")
            if h is None:
                if kind == "proposed":
                    h = self.moto_px.gate.arm("Publish", "drgate-approvals", "drop")
                else:
                    h = self.proxy_for(arg).gate.arm(
                        arg, None, "drop" if kind == "intent" else "lose_answer")
                state["hold"] = h
            return h.arrived.is_set()
        if kind == "request":
            ev = state.get("after")
            if ev is None:
                ev = state["after"] = self.moto_px.gate.arm_after("Publish",
                                                                  "drgate-approvals")
            return ev.is_set()
        if kind == "approval1":
            return run.count("drgate.approval.accepted") >= 1
        if kind == "approved":
            return run.count("drgate.plan.approved") >= 1
        if kind == "sent":
            s = run.step(arg)
            return s is not None and s[1] == "sent" and s[0] in ("running", "waiting")
        if kind == "done":
            s = run.step(arg)
            return s is not None and s[0] == "succeeded"
        if kind == "wait":
            s = run.step(arg)
            if s is None or s[0] != "waiting":
                state.pop("since", None)
                return False
            since = state.setdefault("since", time.monotonic())
            return time.monotonic() - since >= 0.3
        if kind == "drain":
            return run.final() is not None and run.sns_lag() > 0
        if kind == "random":
            return time.monotonic() - t0 >= float(arg)
        raise ValueError(spec)

    def seen_at_kill(self, spec, run):
        """What the store says right after the kill: the step's row, or the
        plan's state."""
        kind, _, arg = spec.partition(":")
        step = STEP_OF.get(arg, arg if kind in ("sent", "wait", "done") else None)
        if step:
            s = run.step(step)
            return "%s %s/%s" % (step, s[0], s[1]) if s else "%s no row" % step
        p = run.plans()
        open_steps = run.q("SELECT step, state, mutation FROM steps WHERE state NOT IN "
                           "('succeeded', 'failed') ORDER BY step")
        return "plan %s%s" % (p[0][1] if p else "none", "".join(
            ", %s %s/%s" % r for r in open_steps if r[1] != "pending"))

    def unreachable(self, spec, run, state):
        """This point can no longer come in this run."""
        kind, _, arg = spec.partition(":")
        if kind == "random":
            return False
        if run.final() is not None and run.drained():
            return True
        if kind in ("intent", "call"):
            h = state.get("hold")
            return (h is not None and not h.arrived.is_set()
                    and arg in self.proxy_for(arg).gate.counts())
        if kind in ("sent", "wait"):
            s = run.step(arg)
            return s is not None and s[0] in ("succeeded", "failed")
        if kind == "approval1":
            return run.count("drgate.plan.approved") >= 1
        if kind in ("request", "proposed"):
            return run.count("drgate.approval.accepted") >= 1
        return False

    def one(self, idx, kills):
        sb = self.sb
        sb.reset()
        sb.durations(TRANSITION_S)
        for px in (self.sim_px, self.moto_px):
            px.gate.reset()
        # the events topic's Publishes take 150 ms: the final drain is a window
        self.moto_px.gate.latency[("Publish", "drgate-events")] = 0.15
        run = sb.run_config("crash-%02d" % idx, endpoints={
            "rds": self.sim_px.url, "elasticache": self.sim_px.url,
            "route53": self.moto_px.url, "ecs": self.moto_px.url,
            "sns": self.moto_px.url})
        sb.sim("/_sim/outage/start", {"region": "us-east-1"})
        d = Drgate(self.binary, run.cfg_path, sb.hermetic_env(),
                   os.path.join(run.dir, "drgate.log"))
        d.start()
        ap = Approver(run, self.binary)
        ap.start()
        t0 = time.monotonic()
        alarms = threading.Thread(target=run.alarms, daemon=True)
        alarms.start()
        rows = []
        pending = list(kills)
        state = {}
        sqlite_ok = True
        note = ""
        deadline = t0 + RUN_TIMEOUT_S
        stuck_since = None
        while time.monotonic() < deadline:
            if ap.error:
                note = "approver: %s" % ap.error
                break
            head = pending[0] if pending else None
            if head != "approval1" or rows_done(rows, "approval1"):
                if not ap.second.is_set():
                    ap.second.set()
            if head and self.trigger(head, run, t0, state):
                t_kill = time.monotonic() - t0
                d.kill9()
                h = state.get("hold")
                if h is not None:
                    h.release.set()
                seen = self.seen_at_kill(head, run)
                ok, why = run.integrity("kill%d" % (len(rows) + 1))
                sqlite_ok &= ok
                rows.append({"point": head, "t": t_kill, "sqlite": ok, "seen": seen})
                if not ok:
                    note += " integrity after %s: %s" % (head, why)
                pending.pop(0)
                state = {}
                d.start()
                continue
            if head and self.unreachable(head, run, state):
                if state.get("hold") is not None:
                    self.proxy_for(head.partition(":")[2]).gate.disarm(state["hold"])
                rows.append({"point": head, "t": None, "sqlite": True})
                pending.pop(0)
                state = {}
                continue
            if not pending and run.final() is not None and run.drained():
                break
            # a plan whose approval request never left waits for nothing
            if ap.req is None and run.plan_id() and not pending:
                stuck_since = stuck_since or time.monotonic()
                if time.monotonic() - stuck_since > 20:
                    note += " the approval request never reached the approvals topic"
                    break
            time.sleep(0.01)
        else:
            note += " run timed out after %d s" % RUN_TIMEOUT_S
        ap.stop.set()
        ap.second.set()
        # release any hold still armed, so no proxy thread waits
        h = state.get("hold")
        if h is not None:
            for px in (self.sim_px, self.moto_px):
                px.gate.disarm(h)
        rc = d.term()
        dur = time.monotonic() - t0
        ok_int, why = run.integrity("final")
        sqlite_ok &= ok_int
        if not ok_int:
            note += " final integrity: %s" % why
        fin = run.final()
        plans = run.plans()
        done = (fin is not None and fin[0] == "drgate.plan.succeeded" and len(plans) == 1
                and rc == 0)
        if fin is None:
            note += " no outcome (plans: %s)" % plans
        elif fin[0] != "drgate.plan.succeeded":
            note += " %s: %s" % (fin[0], (fin[1].get("data") or {}).get("reason", ""))
        if rc != 0:
            note += " drgate exited %s on SIGTERM" % rc
        if len(plans) != 1:
            note += " %d plans" % len(plans)
        counts = {}
        for px in (self.sim_px, self.moto_px):
            counts.update(px.gate.counts())
        simcalls = sb.sim("/_sim/calls")
        once = counts == expected_calls(sb) and simcalls == sim_expected(sb)
        if not once:
            note += " calls %s sim %s" % (counts, simcalls)
        ev_ok, ev_detail, nev, dups = run.events_vs_store()
        if not ev_ok:
            note += " " + ev_detail
        au_ok, au_detail = run.audit_verify(self.binary)
        if not au_ok:
            note += " audit: " + au_detail
        run.close()
        fired = [r for r in rows if r["t"] is not None]
        verdict = {"done": done, "once": once, "events": ev_ok, "audit": au_ok,
                   "sqlite": sqlite_ok}
        if all(verdict.values()) and not self.keep:
            shutil.rmtree(run.dir, ignore_errors=True)
        return {"rows": rows, "verdict": verdict, "note": note.strip(), "dur": dur,
                "kills": len(fired), "events": nev, "dups": dups, "dir": run.dir}


def rows_done(rows, point):
    return any(r["point"] == point for r in rows)


def plan_runs(quick, seed):
    rng = random.Random(seed)
    out = []
    for r in (QUICK if quick else FULL):
        if r == "random":
            ts = sorted(round(rng.uniform(*RANDOM_SPAN_S), 2) for _ in range(RANDOM_PER_RUN))
            out.append(["random:%s" % t for t in ts])
        else:
            out.append(list(r))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("drgate", nargs="?")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--seed", type=int, default=20260101)
    ap.add_argument("--keep", action="store_true", help="keep every run's files")
    ap.add_argument("--only", type=int, help="run only this run number (1-based)")
    a = ap.parse_args()
    binary = drgate_binary(a.drgate)
    runs = plan_runs(a.quick, a.seed)
    work = tempfile.mkdtemp(prefix="drgate-chaos-crash-")
    sb = None
    proxies = []
    results = []
    t_all = time.monotonic()
    ok = False
    try:
        say("crash suite (%s, seed %d): %d runs, %d kill points; work dir %s" % (
            "quick" if a.quick else "full", a.seed, len(runs),
            sum(len(r) for r in runs), work))
        sb = Sandbox(work, transition_s=TRANSITION_S)
        sim_px = GateProxy("sim", sb.env["SANDBOX_SIM_URL"])
        moto_px = GateProxy("moto", sb.env["SANDBOX_MOTO_URL"])
        proxies = [sim_px, moto_px]
        c = Crash(sb, binary, sim_px, moto_px, a.keep)
        for i, kills in enumerate(runs, 1):
            if a.only and i != a.only:
                continue
            res = c.one(i, kills)
            results.append((i, res))
            v = res["verdict"]
            say("run %d: %d kills, %.1f s, %d events (%d redelivered) %s%s" % (
                i, res["kills"], res["dur"], res["events"], res["dups"],
                " ".join("%s %s" % (k, mark(x)) for k, x in v.items()),
                (" -- " + res["note"]) if res["note"] else ""))
        ok = True
    finally:
        for px in proxies:
            px.close()
        if sb:
            sb.stop()
    say()
    header = ["run", "kill point", "kill at", "store at kill", "done", "once", "events", "audit", "sqlite"]
    rows = []
    kills = 0
    all_ok = ok
    for i, res in results:
        v = res["verdict"]
        all_ok &= all(v.values())
        for r in res["rows"]:
            if r["t"] is None:
                rows.append([i, r["point"], "not reached", "", "", "", "", "", ""])
                continue
            kills += 1
            rows.append([i, r["point"], "%.2f s" % r["t"], r["seen"], mark(v["done"]), mark(v["once"]),
                         mark(v["events"]), mark(v["audit"]),
                         mark(v["sqlite"] and r["sqlite"])])
    table(header, rows)
    say()
    for i, res in results:
        if res["note"]:
            say("run %d: %s (files in %s)" % (i, res["note"], res["dir"]))
    say("%d kills in %d runs, %.0f s in all" % (kills, len(results), time.monotonic() - t_all))
    passed = sum(1 for _, r in results if all(r["verdict"].values()))
    say("%d passed, %d failed" % (passed, len(results) - passed))
    if all_ok and not a.keep:
        shutil.rmtree(work, ignore_errors=True)
    elif not all_ok:
        say("kept for inspection: %s" % work)
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
