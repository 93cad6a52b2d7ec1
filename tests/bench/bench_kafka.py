#!/usr/bin/env python3
"""Kafka intake: `drgate run` consuming N messages from a librdkafka
mock-cluster topic, beside `kcat -C ... -e -q > /dev/null` reading the same
topic from the same cluster.

Usage: bench_kafka.py DRGATE KAFKA_MOCK [--messages N] [--runs R]
The messages are the storm test's (tests/bench/alarmgen.py: half exact
duplicates, 1% malformed), spread over partitions of about 4,000 messages
(the mock cluster keeps only about 5 MB of a partition). drgate's time runs from its partition
assignment (the consumer-group join, a fixed delay of the mock cluster's
coordinator, is printed apart) to the moment its store has recorded every
distinct message and the file sink holds every event; the store is on
disk (synchronous=FULL, as in production) and, as a second figure, on
tmpfs (what the fsyncs cost). kcat's time is its whole run (no group:
it assigns the partition directly). Prints figures; asserts only that
every message arrived.
"""
import argparse
import json
import os
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import alarmgen  # noqa: E402

PROPERTIES = {}  # --properties: librdkafka settings for drgate's source


def config(tmp, bs, topic, group, events, state_dir):
    c = json.load(open(os.path.join(ROOT, "tests", "data", "scenarios", "config.json")))
    c["service"]["state_dir"] = state_dir
    c["store"] = {"path": "drgate-%s.db" % group}
    c["sources"] = [{"type": "kafka", "brokers": bs, "topic": topic, "group_id": group}]
    if PROPERTIES:
        c["sources"][0]["properties"] = PROPERTIES
    c["sinks"] = [{"type": "file", "path": events}]
    c["policy"]["signals"] = [s for s in c["policy"]["signals"]
                              if s["match"]["source"] != "probe"]
    c["policy"]["runbooks"] = {
        "planned": os.path.join(ROOT, "config/runbooks/aurora-switchover.json"),
        "unplanned": os.path.join(ROOT, "config/runbooks/aurora-failover.json"),
    }
    path = os.path.join(tmp, "cfg-%s.json" % group)
    with open(path, "w") as f:
        json.dump(c, f)
    return path, os.path.join(state_dir, c["store"]["path"])


def cpu_s(pid):
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def recorded(db):
    try:
        con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=1)
        n = con.execute("SELECT count(*) FROM messages").fetchone()[0]
        e = con.execute("SELECT count(*) FROM events").fetchone()[0]
        con.close()
        return n, e
    except sqlite3.Error:
        return -1, -1


def lines(path):
    if not os.path.exists(path):
        return 0
    with open(path, "rb") as f:
        return sum(1 for _ in f)


def run_drgate(drgate, tmp, bs, topic, group, distinct, state_dir, timeout=300):
    events = os.path.join(tmp, "events-%s.jsonl" % group)
    cfg, db = config(tmp, bs, topic, group, events, state_dir)
    errpath = os.path.join(tmp, "stderr-%s" % group)
    err = open(errpath, "w")
    t_exec = time.monotonic()
    p = subprocess.Popen([drgate, "run", "--config", cfg],
                         stdout=subprocess.DEVNULL, stderr=err)
    try:
        end = t_exec + timeout
        t_assigned = None
        while time.monotonic() < end:
            if p.poll() is not None:
                sys.exit("drgate exited: " + open(errpath).read()[-2000:])
            if t_assigned is None:
                if "partitions assigned" in open(errpath).read():
                    t_assigned = time.monotonic()
            else:
                n, e = recorded(db)
                if n == distinct and lines(events) == e:
                    break
            time.sleep(0.02)
        else:
            sys.exit("drgate did not finish in %d s" % timeout)
        t_done = time.monotonic()
        cpu = cpu_s(p.pid)
        os.kill(p.pid, signal.SIGTERM)
        rc = p.wait(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        err.close()
    log = [json.loads(l) for l in open(errpath) if l.startswith("{")]
    stopped = [l for l in log if l["msg"] == "stopped"]
    if rc != 0 or not stopped:
        sys.exit("drgate exited %d" % rc)
    return {"join": t_assigned - t_exec, "consume": t_done - t_assigned,
            "cpu": cpu, "messages": int(stopped[0]["messages"])}


def run_kcat(bs, topic):
    t = time.monotonic()
    p = subprocess.run(["kcat", "-C", "-b", bs, "-t", topic, "-o", "beginning",
                        "-e", "-q"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    el = time.monotonic() - t
    if p.returncode != 0:
        sys.exit("kcat consumer failed: " + p.stderr.decode()[-2000:])
    return el, p.stdout.count(b"\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("drgate")
    ap.add_argument("kafka_mock")
    ap.add_argument("--messages", type=int, default=100000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--properties", default="{}",
                    help="JSON object of librdkafka settings for drgate's "
                    "kafka source, e.g. '{\"fetch.wait.max.ms\": \"20\"}'")
    a = ap.parse_args()
    PROPERTIES.update(json.loads(a.properties))
    tmp = tempfile.mkdtemp(prefix="drgate-bench-kafka-")
    shm = None
    if os.access("/dev/shm", os.W_OK):
        shm = tempfile.mkdtemp(prefix="drgate-bench-kafka-", dir="/dev/shm")
    mock = None
    try:
        data = os.path.join(tmp, "storm.jsonl")
        parts = max(1, -(-a.messages // 4000))  # the mock keeps ~5 MB a partition
        c = alarmgen.storm(data, a.messages, partitions=parts)
        distinct = c["unique_valid"] + c["malformed"]
        size = os.path.getsize(data)
        mock = subprocess.Popen([a.kafka_mock, "intake:%d" % parts],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                text=True)
        bs = mock.stdout.readline().strip()
        t = time.monotonic()
        for part in range(parts):
            with open("%s.%d" % (data, part)) as f:
                r = subprocess.run(["kcat", "-P", "-b", bs, "-t", "intake", "-p",
                                    str(part)], stdin=f, capture_output=True)
            if r.returncode != 0:
                sys.exit("kcat producer failed")
        print("topic: %d messages in %d partitions, %.1f MiB (%d duplicates, "
              "%d malformed); kcat produced them in %.2f s"
              % (a.messages, parts, size / 2**20, c["duplicates"],
                 c["malformed"], time.monotonic() - t))
        rows = []
        kc = []
        for i in range(a.runs):
            el, n = run_kcat(bs, "intake")
            if n != a.messages:
                sys.exit("kcat read %d of %d messages" % (n, a.messages))
            kc.append(el)
        rows.append(("kcat -C -e -q > /dev/null", statistics.median(kc), None, None))
        variants = [("drgate run (store on disk)", tmp)]
        if shm:
            variants.append(("drgate run (store on tmpfs)", shm))
        for name, sdir in variants:
            res = []
            for i in range(a.runs):
                g = "g%d%s" % (i, "shm" if sdir == shm else "disk")
                res.append(run_drgate(a.drgate, tmp, bs, "intake", g, distinct, sdir))
                if res[-1]["messages"] != a.messages:
                    sys.exit("drgate processed %d of %d" % (res[-1]["messages"], a.messages))
            rows.append((name, statistics.median(r["consume"] for r in res),
                         statistics.median(r["cpu"] for r in res),
                         statistics.median(r["join"] for r in res)))
        print("%-30s %10s %12s %10s %14s" % ("consumer (median of %d)" % a.runs,
                                             "seconds", "msg/s", "CPU s", "group join s"))
        for name, el, cpu, join in rows:
            print("%-30s %10.2f %12.0f %10s %14s" % (
                name, el, a.messages / el, "-" if cpu is None else "%.2f" % cpu,
                "-" if join is None else "%.2f" % join))
        base = rows[0][1]
        for name, el, _, _ in rows[1:]:
            print("%s / kcat time ratio: %.1f" % (name, el / base))
    finally:
        if mock:
            mock.stdin.close()
            mock.terminate()
            mock.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)
        if shm:
            shutil.rmtree(shm, ignore_errors=True)


if __name__ == "__main__":
    main()
