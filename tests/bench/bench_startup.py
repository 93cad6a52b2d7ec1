#!/usr/bin/env python3
"""Start-up time to ready and resident memory at ready: `drgate run` with a
minimal config (file source on stdin, a pipe that stays open; file sink;
the scenario policy) beside a Python boto3 handler doing seed 000's
start-up (`import boto3; rds = boto3.client("rds"); sns =
boto3.client("sns")`), and a bare `python3` for scale.

Usage: bench_startup.py DRGATE [--runs N]
Time runs from just before exec to the moment the parent reads the "ready"
line (drgate's log line; the Python handler prints one after creating its
clients); RSS is VmRSS from /proc/PID/status at that moment. Each is run N
times; the table shows medians (and the range). Nothing goes to the
network: boto3 only builds its clients (no credentials are looked up).
Prints figures; asserts nothing about speed.
"""
import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

BOTO3 = ('import boto3\n'
         'rds = boto3.client("rds")\n'
         'sns = boto3.client("sns")\n'
         'print("ready", flush=True)\n'
         'import sys; sys.stdin.read()\n')
BARE = 'print("ready", flush=True)\nimport sys; sys.stdin.read()\n'


def vmrss_kib(pid):
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def measure(cmd, ready, from_stderr, env):
    """Runs cmd, waits for a line containing ready; returns (s, KiB)."""
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE,
                         stdout=subprocess.DEVNULL if from_stderr else subprocess.PIPE,
                         stderr=subprocess.PIPE if from_stderr else subprocess.DEVNULL,
                         env=env)
    stream = p.stderr if from_stderr else p.stdout
    seen = []
    try:
        while True:
            line = stream.readline()
            if not line:
                sys.exit("%s ended before ready (exit %s); it printed:\n%s"
                         % (cmd[0], p.wait(), b"".join(seen[-20:]).decode("utf-8", "replace")))
            seen.append(line)
            if ready in line:
                el = time.perf_counter() - t
                rss = vmrss_kib(p.pid)
                break
    finally:
        p.stdin.close()
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    return el, rss


def drgate_config(tmp):
    c = json.load(open(os.path.join(ROOT, "tests", "data", "scenarios", "config.json")))
    c["service"]["state_dir"] = tmp
    c["store"] = {"path": "drgate.db"}
    c["sources"] = [{"type": "file", "path": "-"}]
    c["sinks"] = [{"type": "file", "path": os.path.join(tmp, "events.jsonl")}]
    c["policy"]["signals"] = [s for s in c["policy"]["signals"]
                              if s["match"]["source"] != "probe"]
    c["policy"]["runbooks"] = {
        "planned": os.path.join(ROOT, "config/runbooks/aurora-switchover.json"),
        "unplanned": os.path.join(ROOT, "config/runbooks/aurora-failover.json"),
    }
    path = os.path.join(tmp, "drgate.json")
    with open(path, "w") as f:
        json.dump(c, f)
    return path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("drgate")
    ap.add_argument("--runs", type=int, default=7)
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="drgate-bench-startup-")
    env = dict(os.environ)
    env.update({"AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true",
                "PYTHONDONTWRITEBYTECODE": "1"})
    try:
        cfg = drgate_config(tmp)
        rows = []
        try:
            import boto3  # noqa: F401
            have_boto3 = True
        except ImportError:
            have_boto3 = False
        cases = [("drgate run (file source on stdin)",
                  [a.drgate, "run", "--config", cfg], b'"msg":"ready"', True)]
        if have_boto3:
            cases.append(("python3 + boto3 rds/sns clients",
                          [sys.executable, "-c", BOTO3], b"ready", False))
        cases.append(("python3 (bare interpreter)",
                      [sys.executable, "-c", BARE], b"ready", False))
        for name, cmd, ready, err in cases:
            measure(cmd, ready, err, env)  # warm the page cache
            res = [measure(cmd, ready, err, env) for _ in range(a.runs)]
            rows.append((name, [r[0] for r in res], [r[1] for r in res]))
        print("%-36s %14s %18s %14s" % ("start-up to ready (median of %d)" % a.runs,
                                        "ms", "ms range", "VmRSS MiB"))
        for name, ts, rs in rows:
            print("%-36s %14.1f %18s %14.1f" % (
                name, 1000 * statistics.median(ts),
                "%.1f-%.1f" % (1000 * min(ts), 1000 * max(ts)),
                statistics.median(rs) / 1024))
        if have_boto3:
            d, b = rows[0], rows[1]
            print("boto3 / drgate: %.1fx the time, %.1fx the memory"
                  % (statistics.median(b[1]) / statistics.median(d[1]),
                     statistics.median(b[2]) / statistics.median(d[2])))
        else:
            print("boto3 is not installed: no comparison")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
