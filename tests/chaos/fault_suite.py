#!/usr/bin/env python3
"""Fault suite: the failover scenario under AWS faults.

Usage: fault_suite.py [--quick] [--seed N] [--keep] [--case NAME] [DRGATE]

Cases (one sandbox for all; the scenario of infra/local/demo unless said):
  faults20   ~20% of every AWS call drgate makes is throttled, answered 503
             or reset: tests/support/faultproxy.py in percent mode (seeded)
             in front of moto AND the simulator; every aws.endpoints entry of
             a copy of the config points at the proxies.
  sns-down   the SNS sink's Publish answers 503 for 20 s (--quick) or 150 s
             (full), starting once the approval request is out (so the plan
             runs while the audit trail cannot reach SNS); then SNS is back.
  outage     the planned scenario (primary healthy, switchover runbook);
             `sandbox outage --region us-east-1` as soon as the
             SwitchoverGlobalCluster call reached the simulator.
  creds      drgate's credentials come from a loopback ECS container
             endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI) that hands out a
             new key on every fetch, valid for a few seconds only; a proxy
             in front of moto and the simulator refuses any request signed
             with an unknown or expired key (ExpiredToken) or the wrong
             session token.

For every case: the plan completes, or fails with a clear reason (a
non-empty reason naming what went wrong); nothing is lost (the events
topic's subscriber queue and the file sink hold every stored event,
byte-identical); `drgate audit verify` passes; PRAGMA integrity_check
passes; no mutating call reached AWS twice. Exit status 0 when all hold.
"""
import argparse
import json
import os
import shutil
import sys
import tempfile
import threading
import time
import http.server

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chaoslib import (Approver, FaultProxy, GateProxy, Sandbox, Drgate,  # noqa: E402
                      MUTATING, mark, table, say, drgate_binary)

TRANSITION_S = 1.5
ALL_SERVICES = ("sqs", "sns", "route53", "ecs", "ssm", "cloudformation", "sts", "events")


def fault_rules(percent, seed):
    """About `percent` % of requests: a third each throttled, 503, reset."""
    p = percent / 3.0
    return [{"action": "throttle", "mode": {"percent": p, "seed": seed}},
            {"action": "unavailable", "mode": {"percent": p / (1 - p / 100), "seed": seed + 1}},
            {"action": "reset", "mode": {"percent": p / (1 - 2 * p / 100), "seed": seed + 2}}]


def faultproxy_mutations(log):
    """{op: n} of mutating calls a faultproxy forwarded to its upstream."""
    out = {}
    for e in log["log"]:
        if e["action"] != "forward":
            continue
        op = e["op"].rsplit(".", 1)[-1]
        if not op and e["method"] == "POST" and e["path"].rstrip("/").endswith("/rrset"):
            op = "ChangeResourceRecordSets"
        if op in MUTATING:
            out[op] = out.get(op, 0) + 1
    return out


class Case:
    def __init__(self, sb, binary, quick, seed, keep):
        self.sb, self.binary, self.quick, self.seed, self.keep = sb, binary, quick, seed, keep
        self.figures = {}
        self.note = ""
        self.extra = {}

    # -- the common driver ------------------------------------------------
    def drive(self, name, endpoints, env, planned=False, during=None,
              tweak=None, timeout=240):
        sb = self.sb
        sb.reset()
        sb.durations(TRANSITION_S)
        run = sb.run_config("fault-" + name, endpoints=endpoints, tweak=tweak)
        if not planned:
            sb.sim("/_sim/outage/start", {"region": "us-east-1"})
        d = Drgate(self.binary, run.cfg_path, env, os.path.join(run.dir, "drgate.log"))
        self.run, self.d = run, d
        d.start(timeout=60)
        ap = Approver(run, self.binary)
        ap.second.set()
        ap.start()
        t0 = time.monotonic()
        run.alarms()
        deadline = t0 + timeout
        while time.monotonic() < deadline:
            if ap.error:
                self.note += " approver: %s" % ap.error
                break
            if during:
                during(run, ap, t0)
            if run.final() is not None and run.drained() and not getattr(self, "busy", False):
                break
            if not d.alive():
                self.note += " drgate died: %s" % d.tail(800)
                break
            time.sleep(0.05)
        else:
            self.note += " timed out after %d s (final: %s, drained: %s)" % (
                timeout, run.final() and run.final()[0], run.drained())
        ap.stop.set()
        rc = d.term()
        self.figures["run_s"] = round(time.monotonic() - t0, 1)
        if not planned:
            sb.sim("/_sim/outage/end", {"region": "us-east-1"})
        return rc

    def verdict(self, rc, mutations, sim_calls):
        run = self.run
        fin = run.final()
        plans = run.plans()
        outcome = fin[0].split(".")[-1] if fin else "none"
        reason = ""
        if fin and fin[0] != "drgate.plan.succeeded":
            data = fin[1].get("data") or {}
            reason = data.get("reason") or data.get("detail") or ""
        # clear: says which step failed and why (not an empty cause)
        clear = fin is not None and (fin[0] == "drgate.plan.succeeded" or (
            len(reason) > 10 and reason.rstrip()[-1:] != ":" and
            len(reason.rsplit("failed:", 1)[-1].strip()) > 5))
        if fin is None:
            self.note += " no outcome (plans %s)" % plans
        elif reason:
            self.figures["reason"] = reason
        if rc != 0:
            self.note += " drgate exited %s on SIGTERM" % rc
        once = all(n == 1 for n in mutations.values()) and all(
            n == 1 for per in sim_calls.values() for n in per.values())
        if not once:
            self.note += " mutating calls %s sim %s" % (mutations, sim_calls)
        ok_int, why = run.integrity("final")
        if not ok_int:
            self.note += " integrity: %s" % why
        ev_ok, ev_detail, nev, dups = run.events_vs_store()
        self.figures["events"] = "%d (%d again)" % (nev, dups)
        if not ev_ok:
            self.note += " " + ev_detail
        au_ok, au_detail = run.audit_verify(self.binary)
        if not au_ok:
            self.note += " audit: " + au_detail
        run.close()
        v = {"outcome": clear and rc == 0 and len(plans) == 1, "once": once,
             "events": ev_ok, "audit": au_ok, "sqlite": ok_int}
        v.update(self.extra)
        return outcome, v

    # -- (a) ~20% of AWS calls fail -----------------------------------------
    def faults20(self):
        sb = self.sb
        work = sb.work
        mp = FaultProxy(sb.env["SANDBOX_MOTO_URL"], os.path.join(work, "fp-moto.log"))
        spx = FaultProxy(sb.env["SANDBOX_SIM_URL"], os.path.join(work, "fp-sim.log"))
        try:
            eps = {s: mp.url for s in ALL_SERVICES}
            eps.update({"rds": spx.url, "elasticache": spx.url})
            for i, px in enumerate((mp, spx)):
                px.rules(fault_rules(20, self.seed + 10 * i))

            def tweak(c):
                # drgate talks to SQS through the proxy too
                c["sources"][0]["queue_url"] = c["sources"][0]["queue_url"].replace(
                    sb.env["SANDBOX_MOTO_URL"], mp.url)
            rc = self.drive("faults20-%d" % self.seed, eps, sb.hermetic_env(), tweak=tweak)
            logs = [mp.log(), spx.log()]
        finally:
            mp.close()
            spx.close()
        total = sum(l["requests"] for l in logs)
        fired = {}
        for l in logs:
            for r in l["rules"]:
                fired[r["action"]] = fired.get(r["action"], 0) + r["fired"]
        nf = sum(fired.values())
        self.figures["requests"] = total
        self.figures["faults"] = "%d (%.0f%%: %s)" % (
            nf, 100.0 * nf / max(total, 1),
            ", ".join("%s %d" % kv for kv in sorted(fired.items())))
        muts = {}
        for l in logs:
            for k, n in faultproxy_mutations(l).items():
                muts[k] = muts.get(k, 0) + n
        self.extra["faulted"] = total > 50 and nf >= total * 0.1
        return self.verdict(rc, muts, self.sb.sim("/_sim/calls"))

    # -- (b) the SNS sink down for minutes ----------------------------------
    def sns_down(self):
        sb = self.sb
        down_s = 20 if self.quick else 150
        mp = FaultProxy(sb.env["SANDBOX_MOTO_URL"], os.path.join(sb.work, "fp-sns.log"))
        st = {"phase": "before"}
        self.busy = True

        def during(run, ap, t0):
            now = time.monotonic()
            if st["phase"] == "before" and ap.req is not None:
                mp.rules([{"action": "unavailable", "match": {"op": "Publish"},
                           "mode": {"all": True}}])
                st.update(phase="down", down_at=now)
            elif st["phase"] == "down":
                fin = run.final()
                if fin and "done_while_down" not in st:
                    st["done_while_down"] = now - st["down_at"]
                # the sink notices on its next publish attempt, which may
                # come after the plan ended: look until it has (or SNS is up)
                if not (st.get("cursor") and st["cursor"][0][1]):
                    st["cursor"] = run.q("SELECT sink, failing_since_ms, last_error "
                                         "FROM sink_cursors WHERE sink LIKE 'sns%'")
                if now - st["down_at"] >= down_s:
                    st["refused"] = mp.log()["rules"][0]["fired"]
                    mp.rules([])
                    st.update(phase="up", up_at=now, lag=run.sns_lag())
            elif st["phase"] == "up" and run.drained():
                st.update(phase="drained", drained_after=now - st["up_at"])
                self.busy = False
        try:
            rc = self.drive("sns-down", {"sns": mp.url}, sb.hermetic_env(), during=during,
                            timeout=down_s + 150)
        finally:
            self.busy = False
            mp.close()
        self.figures["sns_down_s"] = down_s
        if "done_while_down" in st:
            self.figures["plan_done_while_down_after_s"] = round(st["done_while_down"], 1)
        self.figures["publish_refused"] = st.get("refused", 0)
        if "lag" in st:
            self.figures["events_behind_at_recovery"] = st["lag"]
        if "drained_after" in st:
            self.figures["drained_after_recovery_s"] = round(st["drained_after"], 1)
        cur = st.get("cursor") or []
        self.extra["sink_noticed"] = bool(cur and cur[0][1])
        if cur:
            self.figures["sink_last_error"] = (cur[0][2] or "")[:80]
        self.extra["drained"] = st["phase"] == "drained"
        return self.verdict(rc, {}, self.sb.sim("/_sim/calls"))

    # -- (c) the primary region in outage mid-plan ---------------------------
    def outage(self):
        sb = self.sb
        st = {}
        self.sb.sim("/_sim/durations", {"switchover": 4})

        def during(run, ap, t0):
            if "outage_at" in st:
                return
            log = sb.sim("/_sim/calls/log")["log"]
            if any(c["action"] == "SwitchoverGlobalCluster" for c in log):
                sb.verb("outage", "--region", "us-east-1")
                st["outage_at"] = time.monotonic() - t0
                st["step"] = run.step("1.1")
        rc = self.drive("outage", {}, sb.hermetic_env(), planned=True, during=during)
        sb.sim("/_sim/outage/end", {"region": "us-east-1"})
        self.extra["outage_mid_plan"] = "outage_at" in st
        if "outage_at" in st:
            self.figures["outage_at_s"] = round(st["outage_at"], 2)
            self.figures["step_1.1_at_outage"] = "%s/%s" % tuple(st["step"][:2]) \
                if st["step"] else "?"
        plan = self.run.q("SELECT class FROM plans")
        self.figures["plan_class"] = plan[0][0] if plan else "?"
        self.extra["planned"] = bool(plan and plan[0][0] == "planned")
        return self.verdict(rc, {}, sb.sim("/_sim/calls"))

    # -- (d) credentials expiring mid-plan -----------------------------------
    def creds(self):
        sb = self.sb
        life_s = 4.0
        auth_token = "chaos-container-auth-token"
        issued = {}   # key -> (token, expires)
        lock = threading.Lock()
        serves = []

        class CredsHandler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                if self.path != "/creds" or self.headers.get("Authorization") != auth_token:
                    self.send_response(403)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                with lock:
                    n = len(serves) + 1
                    key = "AKIDCHAOSROT%08d" % n
                    tok = "chaos-session-token-%d" % n
                    exp = time.time() + life_s
                    issued[key] = (tok, exp)
                    serves.append(time.time())
                body = json.dumps({
                    "AccessKeyId": key, "SecretAccessKey": "chaos/secret/%d" % n,
                    "Token": tok, "RoleArn": "arn:aws:iam::123456789012:role/drgate",
                    "Expiration": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(exp))
                }).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), CredsHandler)
        srv.daemon_threads = True
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        refused = []
        used = set()

        def auth(key, token):
            with lock:
                have = issued.get(key)
            if have is None:
                refused.append(("unknown", key))
                return (403, "InvalidClientTokenId",
                        "The security token included in the request is invalid.")
            if token != have[0]:
                refused.append(("token", key))
                return (403, "InvalidClientTokenId", "wrong session token")
            # Expiration has a one-second resolution: one second of grace
            if time.time() > have[1] + 1.0:
                refused.append(("expired", key))
                return (400, "ExpiredToken", "The security token included in the "
                        "request is expired")
            used.add(key)
            return None
        mpx = GateProxy("moto", sb.env["SANDBOX_MOTO_URL"])
        spx = GateProxy("sim", sb.env["SANDBOX_SIM_URL"])
        for px in (mpx, spx):
            px.gate.auth = auth
        try:
            eps = {s: mpx.url for s in ALL_SERVICES}
            eps.update({"rds": spx.url, "elasticache": spx.url})
            env = sb.hermetic_env(creds=False)
            env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = "http://127.0.0.1:%d/creds" % \
                srv.server_address[1]
            env["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = auth_token

            def tweak(c):
                c["sources"][0]["queue_url"] = c["sources"][0]["queue_url"].replace(
                    sb.env["SANDBOX_MOTO_URL"], mpx.url)
            rc = self.drive("creds", eps, env, tweak=tweak)
            counts = {}
            for px in (mpx, spx):
                for op, per in px.gate.counts().items():
                    counts[op] = sum(per.values())
            nreq = sum(len(px.gate.log) for px in (mpx, spx))
        finally:
            mpx.close()
            spx.close()
            srv.shutdown()
            srv.server_close()
        self.figures["key_lifetime_s"] = life_s
        self.figures["fetches"] = len(serves)
        self.figures["keys_used"] = len(used)
        self.figures["requests"] = nreq
        kinds = {}
        for k, _ in refused:
            kinds[k] = kinds.get(k, 0) + 1
        self.figures["refused"] = kinds or 0
        # the chain refreshed during the plan and no request used a stale key
        self.extra["rotated"] = len(used) >= 3
        self.extra["no_stale_key"] = not refused
        return self.verdict(rc, counts, sb.sim("/_sim/calls"))


CASES = ("faults20", "sns-down", "outage", "creds")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("drgate", nargs="?")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--case", choices=CASES, action="append")
    a = ap.parse_args()
    binary = drgate_binary(a.drgate)
    work = tempfile.mkdtemp(prefix="drgate-chaos-fault-")
    sb = None
    results = []
    t_all = time.monotonic()
    say("fault suite (%s, seed %d); work dir %s" % ("quick" if a.quick else "full",
                                                    a.seed, work))
    try:
        sb = Sandbox(work, transition_s=TRANSITION_S)
        todo = []
        for name in a.case or CASES:
            if name == "faults20" and not a.quick:
                todo += [("faults20/%d" % i, name, a.seed + 1000 * i) for i in range(3)]
            else:
                todo.append((name, name, a.seed))
        for label, name, seed in todo:
            c = Case(sb, binary, a.quick, seed, a.keep)
            t = time.monotonic()
            try:
                outcome, v = getattr(c, name.replace("-", "_"))()
            except Exception as e:  # one broken case does not hide the others
                outcome, v = "error", {"ran": False}
                c.note += " %s: %s" % (type(e).__name__, e)
            results.append((label, outcome, v, c.figures, c.note.strip(),
                            time.monotonic() - t))
            say("%s: %s in %.0f s %s%s" % (label, outcome, time.monotonic() - t,
                                          " ".join("%s %s" % (k, mark(x)) for k, x in v.items()),
                                          (" -- " + c.note.strip()) if c.note.strip() else ""))
            say("  figures: %s" % json.dumps(c.figures, sort_keys=True))
    finally:
        if sb:
            sb.stop()
    say()
    rows = []
    for name, outcome, v, fig, note, dur in results:
        rows.append([name, outcome, "%.0f s" % dur,
                     " ".join("%s %s" % (k, mark(x)) for k, x in v.items())])
    table(["case", "plan", "took", "invariants"], rows)
    passed = sum(1 for r in results if all(r[2].values()))
    say("%d passed, %d failed (%.0f s in all)" % (passed, len(results) - passed,
                                                  time.monotonic() - t_all))
    ok = passed == len(results)
    if ok and not a.keep:
        shutil.rmtree(work, ignore_errors=True)
    else:
        say("files in %s" % work)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
