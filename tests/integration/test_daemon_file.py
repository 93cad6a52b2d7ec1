"""drgate run with file sources and a file sink: exits 0 at the end of its
input; the sink's events equal the store's audit log; audit verify passes on
both and names the record in tampered copies; kill -9 during the drain and
a restart lose nothing and keep the original ids."""
import json
import os
import signal
import subprocess
import time

from daemonutil import (DRGATE, SCEN, TempDir, base_config, check, lines, run,
                        store_events, wait_for)

SCENARIOS = ["two-alarms.jsonl", "two-alarms-duplicates.jsonl",
             "mixed-garbage.jsonl", "unplanned.jsonl", "commands.jsonl"]


def tamper_checks(tmp, events_path):
    raw = open(events_path).read().splitlines()
    check(len(raw) >= 6, "need a few events to tamper with")
    recs = [json.loads(l) for l in raw]

    def verify(name, text):
        p = os.path.join(tmp, name)
        with open(p, "w") as f:
            f.write("\n".join(text) + "\n")
        return run(["audit", "verify", "--file", p])

    # edit: change data, keep the hash
    e = list(raw)
    x = json.loads(e[2])
    x["data"]["tampered"] = True
    e[2] = json.dumps(x, sort_keys=True, separators=(",", ":"))
    r = verify("edit.jsonl", e)
    check(r.returncode == 1, "edited copy verified: " + r.stdout + r.stderr)
    check("line 3: id %s, seq %d: edited" % (recs[2]["id"], recs[2]["drgateseq"])
          in r.stderr, "edit not named: " + r.stderr)
    # drop
    d = raw[:3] + raw[4:]
    r = verify("drop.jsonl", d)
    check(r.returncode == 1, "dropped copy verified")
    check("seq %d is missing before it (dropped)" % recs[3]["drgateseq"]
          in r.stderr, "drop not named: " + r.stderr)
    # reorder
    o = list(raw)
    o[3], o[4] = o[4], o[3]
    r = verify("reorder.jsonl", o)
    check(r.returncode == 1, "reordered copy verified")
    check("id %s, seq %d: out of order" % (recs[3]["id"], recs[3]["drgateseq"])
          in r.stderr, "reorder not named: " + r.stderr)
    # the untouched copy, with a redelivered tail, still verifies
    r = verify("redelivered.jsonl", raw + raw[-3:])
    check(r.returncode == 0, "redelivered copy refused: " + r.stderr)


def test_end_of_input(tmp):
    events = os.path.join(tmp, "events.jsonl")
    sources = [{"type": "file", "path": os.path.join(SCEN, s)} for s in SCENARIOS]
    cfg = base_config(tmp, sources, [{"type": "file", "path": events}])
    r = run(["run", "--config", cfg])
    check(r.returncode == 0, "drgate run failed: %d %s" % (r.returncode, r.stderr))
    check('"msg":"ready"' in r.stderr, "no ready log line")
    got = open(events).read().splitlines()
    rows = store_events(os.path.join(tmp, "drgate.db"))
    check(len(rows) > 0 and len(got) == len(rows),
          "sink has %d events, store %d" % (len(got), len(rows)))
    for line, (seq, eid, js) in zip(got, rows):
        check(line == js, "sink line differs from the store at seq %d" % seq)
    types = [json.loads(l)["type"] for l in got]
    for t in ("drgate.decision.made", "drgate.plan.proposed",
              "drgate.input.rejected"):
        check(t in types, "no %s event" % t)
    seqs = [json.loads(l)["drgateseq"] for l in got]
    check(seqs == list(range(1, len(got) + 1)), "events not in seq order")
    for l in got:
        e = json.loads(l)
        check(e["specversion"] == "1.0" and e["source"] == "drgate/drgate-scenarios"
              and e["datacontenttype"] == "application/json" and e["subject"],
              "not a CloudEvent: " + l[:200])
        if e["type"] == "drgate.plan.proposed":
            check(e["data"].get("decision_id") or e["data"].get("trigger") != "policy",
                  "plan without its decision link")
    check(len(set(json.loads(l)["id"] for l in got)) == len(got), "ids not unique")
    r = run(["audit", "verify", "--config", cfg])
    check(r.returncode == 0, "store chain: " + r.stderr)
    r = run(["audit", "verify", "--file", events])
    check(r.returncode == 0, "file chain: " + r.stderr)
    tamper_checks(tmp, events)
    # A second run of the same input: all duplicates, no new events.
    r = run(["run", "--config", cfg])
    check(r.returncode == 0, "second run failed: " + r.stderr)
    check(len(open(events).read().splitlines()) == len(rows),
          "second run added or resent events")


def test_kill9_during_drain(tmp):
    big = os.path.join(tmp, "big.jsonl")
    with open(big, "w") as f:
        for i in range(1500):
            f.write("not json %d\n" % i)
    events = os.path.join(tmp, "events-k.jsonl")
    cfg = base_config(tmp, [{"type": "file", "path": big}],
                      [{"type": "file", "path": events, "fsync": "always"}],
                      store="k.db")
    p = subprocess.Popen([DRGATE, "run", "--config", cfg],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for(lambda: os.path.exists(events) and len(lines(events)) >= 200,
                 60, "the sink to receive events")
        killed_early = p.poll() is None
        os.kill(p.pid, signal.SIGKILL)
    finally:
        if p.poll() is None:
            p.kill()
        p.wait()
        p.stderr.close()
    check(killed_early, "drgate finished before it could be killed")
    before = len(lines(events))
    r = run(["run", "--config", cfg], timeout=90)
    check(r.returncode == 0, "restart failed: " + r.stderr[-2000:])
    rows = store_events(os.path.join(tmp, "k.db"))
    check(len(rows) == 1500, "store has %d events, want 1500" % len(rows))
    got = lines(events)
    ids = {e["id"] for e in got}
    check(ids == {eid for _, eid, _ in rows},
          "the sink lacks events or has foreign ids")
    bystore = {eid: js for _, eid, js in rows}
    for e in got:
        check(json.dumps(e, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
              == bystore[e["id"]], "event %s changed on redelivery" % e["id"])
    r = run(["audit", "verify", "--file", events])
    check(r.returncode == 0, "chain of the sink copy: " + r.stderr[-2000:])
    r = run(["audit", "verify", "--config", cfg])
    check(r.returncode == 0, "store chain: " + r.stderr[-2000:])
    print("kill -9 after %d sink lines; after restart %d lines for %d events"
          % (before, len(got), len(rows)))


with TempDir() as tmp:
    test_end_of_input(tmp)
with TempDir() as tmp:
    test_kill9_during_drain(tmp)
print("ok")
