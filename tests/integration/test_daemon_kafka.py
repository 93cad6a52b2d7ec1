"""Kafka through librdkafka's mock cluster (kafka_mock prints its bootstrap
servers) with kcat as the outside producer and consumer: drgate consumes,
stores offsets only after processing, resumes from the committed offset
after a restart (no reprocessing, no loss), and its Kafka sink delivers the
events exactly as the store holds them."""
import json
import os
import signal
import subprocess
import time

from daemonutil import (DRGATE, KAFKA_MOCK, SCEN, TempDir, base_config, check,
                        lines, run, store_events, wait_for)


def nonblank(path):
    return [l for l in open(path).read().splitlines() if l.strip()]


def kcat(args, inp=None):
    r = subprocess.run(["kcat"] + args, input=inp, capture_output=True,
                       text=True, timeout=30)
    check(r.returncode == 0, "kcat %s failed: %s" % (args, r.stderr))
    return r.stdout


def replay_count(tmp, cfg, msgs):
    p = os.path.join(tmp, "replay-input.jsonl")
    with open(p, "w") as f:
        f.write("\n".join(msgs) + "\n")
    r = run(["replay", "--config", cfg, p])
    check(r.returncode == 0, "replay failed: " + r.stderr)
    out = r.stdout.splitlines()
    # The running daemon also requests approval for every mutating plan
    # (drgate.approval.requested), which replay does not.
    plans = sum(1 for l in out if json.loads(l).get("kind") == "plan"
                and json.loads(l)["plan"].get("mutating"))
    return len(out) + plans


def settled(db, events, nmessages):
    """Every message recorded and every stored event in the file sink."""
    import sqlite3
    if not os.path.exists(db):
        return False
    try:
        con = sqlite3.connect(db, timeout=1)
        m = con.execute("SELECT count(*) FROM messages").fetchone()[0]
        e = con.execute("SELECT count(*) FROM events").fetchone()[0]
        con.close()
    except sqlite3.Error:
        return False
    return m == nmessages and len(lines(events)) == e


def run_until(cfg, events, nmessages, tmp, tag):
    err = open(os.path.join(tmp, "stderr-" + tag), "w+")
    p = subprocess.Popen([DRGATE, "run", "--config", cfg],
                         stdout=subprocess.DEVNULL, stderr=err)
    db = os.path.join(tmp, "drgate.db")
    try:
        wait_for(lambda: '"msg":"ready"' in open(err.name).read(), 20,
                 "ready (%s)" % tag)
        wait_for(lambda: settled(db, events, nmessages), 40,
                 "%d messages processed and drained (%s)" % (nmessages, tag))
        os.kill(p.pid, signal.SIGTERM)
        rc = p.wait(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    err.seek(0)
    log = [json.loads(l) for l in err.read().splitlines() if l.startswith("{")]
    err.close()
    check(rc == 0, "drgate exited %d (%s)" % (rc, tag))
    stopped = [l for l in log if l["msg"] == "stopped"]
    check(stopped, "no stopped log line (%s)" % tag)
    check(any(l["msg"] == "librdkafka" or l["msg"].startswith("kafka:")
              for l in log), "librdkafka's logs did not reach drgate's log")
    return stopped[0]


with TempDir() as tmp:
    mock = subprocess.Popen([KAFKA_MOCK, "dr-signals", "drgate-events"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
    try:
        bs = mock.stdout.readline().strip()
        check(bs.startswith("127.0.0.1:"), "mock cluster bootstrap: %r" % bs)
        first = (nonblank(os.path.join(SCEN, "two-alarms.jsonl")) +
                 nonblank(os.path.join(SCEN, "mixed-garbage.jsonl")))
        second = nonblank(os.path.join(SCEN, "unplanned.jsonl"))
        kcat(["-P", "-b", bs, "-t", "dr-signals"], "\n".join(first) + "\n")
        events = os.path.join(tmp, "events.jsonl")
        cfg = base_config(
            tmp,
            [{"type": "kafka", "brokers": bs, "topic": "dr-signals",
              "group_id": "drgate-it",
              "properties": {"auto.commit.interval.ms": "200",
                             "session.timeout.ms": "6000",
                             "heartbeat.interval.ms": "500"}}],
            [{"type": "file", "path": events},
             {"type": "kafka", "brokers": bs, "topic": "drgate-events"}])
        want1 = replay_count(tmp, cfg, first)
        check(want1 > 0, "the first batch makes no events")
        s1 = run_until(cfg, events, len(first), tmp, "first")
        # The policy timer (wall clock) may add decisions replay never
        # makes: the scenario's windows ended long ago.
        msg_events = [e for e in lines(events)
                      if e["data"].get("message_id") != "policy-timer"]
        check(len(msg_events) == want1, "first run: %d events, replay "
              "makes %d" % (len(msg_events), want1))
        check(s1["messages"] == str(len(first)),
              "first run processed %s messages, want %d" % (s1["messages"], len(first)))
        # Restart: only the new messages are consumed.
        kcat(["-P", "-b", bs, "-t", "dr-signals"], "\n".join(second) + "\n")
        s2 = run_until(cfg, events, len(first) + len(second), tmp, "second")
        check(s2["messages"] == str(len(second)) and s2["duplicates"] == "0",
              "restart reprocessed: %s messages, %s duplicates (want %d, 0)"
              % (s2["messages"], s2["duplicates"], len(second)))
        rows = store_events(os.path.join(tmp, "drgate.db"))
        check(len(rows) >= want1, "store has %d events" % len(rows))
        # The Kafka sink's copy, read back from outside.
        out = kcat(["-C", "-b", bs, "-t", "drgate-events", "-o", "beginning",
                    "-e", "-q"])
        got = [l for l in out.splitlines() if l.strip()]
        bystore = {eid: js for _, eid, js in rows}
        check({json.loads(l)["id"] for l in got} == set(bystore),
              "the Kafka sink lacks events or has foreign ones")
        for l in got:
            check(l == bystore[json.loads(l)["id"]], "event changed in Kafka")
        p = os.path.join(tmp, "kafka-copy.jsonl")
        with open(p, "w") as f:
            f.write(out)
        r = run(["audit", "verify", "--file", p])
        check(r.returncode == 0, "Kafka copy chain: " + r.stderr)
        print("kafka: %d + %d messages, %d events, %d in the topic"
              % (len(first), len(second), len(rows), len(got)))
    finally:
        mock.stdin.close()
        mock.terminate()
        mock.wait(timeout=10)
print("ok")
