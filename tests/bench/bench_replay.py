#!/usr/bin/env python3
"""Replay throughput and peak memory, beside a cJSON parse-only pass.

Usage: bench_replay.py DRGATE PARSE_ONLY PEAKRSS [--messages N] [--config FILE]
Generates N real-shaped CloudWatch alarm state change events (EventBridge
form; 20 alarms of which 2 are configured signals, states changing, 5%
exact duplicates) and prints events/s and peak RSS for `drgate replay`
and for the parse-only floor on the same file.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

PEAKRSS = None
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

TEMPLATE = ('{"version":"0","id":"%s","detail-type":"CloudWatch Alarm State Change",'
            '"source":"aws.cloudwatch","account":"123456789012","time":"%s",'
            '"region":"us-east-1","resources":["arn:aws:cloudwatch:us-east-1:123456789012:alarm:%s"],'
            '"detail":{"alarmName":"%s","state":{"value":"%s","reason":"Threshold Crossed",'
            '"timestamp":"%s"},"previousState":{"value":"%s","reason":"x","timestamp":"%s"},'
            '"configuration":{"metrics":[{"id":"m1","metricStat":{"metric":{"namespace":"AWS/RDS",'
            '"name":"EngineUptime","dimensions":{"DBClusterIdentifier":"orders-east"}},'
            '"period":10,"stat":"Minimum"},"returnData":true}]}}}\n')


def iso(ms, compact):
    s, ms = divmod(ms, 1000)
    t = time.gmtime(s)
    if compact:
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", t)
    return time.strftime("%Y-%m-%dT%H:%M:%S", t) + ".%03d+0000" % ms


def generate(path, n):
    names = ["orders-writer-health", "orders-api-latency"] + ["noise-%02d" % i for i in range(18)]
    t0 = 1767225600000
    with open(path, "w") as f:
        last = None
        for i in range(n):
            if last is not None and i % 20 == 19:
                f.write(last)  # exact duplicate
                continue
            name = names[i % len(names)]
            # configured alarms flip every 7 s so the policy keeps working
            ms = t0 + i * 50
            state = "ALARM" if (ms // 7000) % 2 else "OK"
            prev = "OK" if state == "ALARM" else "ALARM"
            line = TEMPLATE % ("ev-%010d" % i, iso(ms, True), name, name, state,
                               iso(ms, False), prev, iso(ms - 1000, False))
            f.write(line)
            last = line


def measure(cmd):
    """Runs cmd under peakrss (a small C parent) so the RSS is its own."""
    t = time.perf_counter()
    p = subprocess.run([PEAKRSS, *cmd], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - t
    if p.returncode != 0:
        sys.exit("%s failed: %s" % (cmd[0], p.stderr[-2000:]))
    err = p.stderr.strip().splitlines()
    rss = int(err[-1].split("=")[1])
    p.stderr = "\n".join(err[:-1])
    return elapsed, rss, p


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("drgate")
    ap.add_argument("parse_only")
    ap.add_argument("peakrss")
    ap.add_argument("--messages", type=int, default=1000000)
    ap.add_argument("--config", default=os.path.join(ROOT, "tests", "data", "scenarios", "config.json"))
    a = ap.parse_args()
    global PEAKRSS
    PEAKRSS = a.peakrss
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "alarms.jsonl")
        t = time.perf_counter()
        generate(path, a.messages)
        size = os.path.getsize(path)
        print("generated %d messages (%.1f MiB) in %.1f s" % (a.messages, size / 2**20, time.perf_counter() - t))
        # parse-only first: its RSS is then the children's peak so far
        pt, prss, _ = measure([a.parse_only, path])
        rt, rrss, p = measure([a.drgate, "replay", "--stats", "--config", a.config, path])
        stats = json.loads(p.stderr.strip().splitlines()[-1])
        out_lines = p.stdout.count("\n")
        print("parse-only (cJSON): %.2f s, %.0f msg/s, peak RSS %.1f MiB" % (pt, a.messages / pt, prss / 1024))
        print("drgate replay:      %.2f s, %.0f msg/s, peak RSS %.1f MiB " % (rt, a.messages / rt, rrss / 1024))
        print("replay/parse-only time ratio: %.2f" % (rt / pt))
        print("replay counters: %s; %d output lines" % (json.dumps(stats), out_lines))
        if stats["messages"] != a.messages:
            sys.exit("replay processed %d of %d messages" % (stats["messages"], a.messages))


if __name__ == "__main__":
    main()
