"""Alarm storm through Kafka: 100,000 alarm messages (half exact duplicates,
1% malformed, two configured alarms with one sustained ALARM window) on a
librdkafka mock-cluster topic (24 partitions: the mock keeps only about
5 MB of each; the configured alarms share one, in order), consumed by `drgate run` (kafka source, file
sink) under peakrss. Exactly one plan, one drgate.input.rejected event per
malformed message, the counters add up, the audit chain verifies, and the
peak RSS stays under a generous ceiling (a leak check, not a timing).

usage: test_storm.py DRGATE KAFKA_MOCK SRC PEAKRSS [--messages N]
"""
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

from daemonutil import (DRGATE, KAFKA_MOCK, SRC, TempDir, base_config, check,
                        run, wait_for)

sys.path.insert(0, os.path.join(SRC, "tests", "bench"))
import alarmgen  # noqa: E402

PEAKRSS = sys.argv[4]
N = int(sys.argv[sys.argv.index("--messages") + 1]) if "--messages" in sys.argv else 100000
RSS_CEILING_MIB = 200
# The mock cluster keeps about 5 MB per partition.
PARTITIONS = 24


def child_pid(pid):
    """The one child of pid (peakrss forks drgate)."""
    p = "/proc/%d/task/%d/children" % (pid, pid)
    kids = open(p).read().split() if os.path.exists(p) else []
    return int(kids[0]) if kids else None


def status_kib(pid, field):
    for line in open("/proc/%d/status" % pid):
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def recorded(db):
    if not os.path.exists(db):
        return -1
    try:
        con = sqlite3.connect(db, timeout=1)
        n = con.execute("SELECT count(*) FROM messages").fetchone()[0]
        e = con.execute("SELECT count(*) FROM events").fetchone()[0]
        con.close()
        return n, e
    except sqlite3.Error:
        return -1


def count_lines(path):
    if not os.path.exists(path):
        return 0
    with open(path, "rb") as f:
        return sum(1 for _ in f)


shm = None
if os.access("/dev/shm", os.W_OK):
    import tempfile
    shm = tempfile.mkdtemp(prefix="drgate-storm-", dir="/dev/shm")
try:
  with TempDir() as tmp:
      data = os.path.join(tmp, "storm.jsonl")
      c = alarmgen.storm(data, N, partitions=PARTITIONS)
      distinct = c["unique_valid"] + c["malformed"]
      mock = subprocess.Popen([KAFKA_MOCK, "storm:%d" % PARTITIONS],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
      drg = None
      try:
          bs = mock.stdout.readline().strip()
          check(bs.startswith("127.0.0.1:"), "mock cluster bootstrap: %r" % bs)
          t = time.monotonic()
          for part in range(PARTITIONS):
              with open("%s.%d" % (data, part)) as f:
                  r = subprocess.run(["kcat", "-P", "-b", bs, "-t", "storm", "-p",
                                      str(part)], stdin=f, capture_output=True,
                                     text=True, timeout=60)
              check(r.returncode == 0, "kcat producer: " + r.stderr)
          produce_s = time.monotonic() - t
          events = os.path.join(tmp, "events.jsonl")
          # The store on tmpfs when there is one: this test is about counts
          # and memory, and 1,500 fsyncs would be most of its time.
          db = os.path.join(shm or tmp, "drgate.db")
          cfg = base_config(
              tmp,
              [{"type": "kafka", "brokers": bs, "topic": "storm",
                "group_id": "drgate-storm",
                # A short fetch wait: every pause/resume of the partitions
                # (the daemon's flow control) otherwise waits out the
                # default 500 ms (see the report of tests/bench/bench_kafka.py).
                "properties": {"auto.commit.interval.ms": "500",
                               "fetch.wait.max.ms": "20",
                               "session.timeout.ms": "6000",
                               "heartbeat.interval.ms": "500"}}],
              [{"type": "file", "path": events}], store=db)
          errpath = os.path.join(tmp, "stderr")
          err = open(errpath, "w")
          t0 = time.monotonic()
          drg = subprocess.Popen([PEAKRSS, DRGATE, "run", "--config", cfg],
                                 stdout=subprocess.DEVNULL, stderr=err)
          def ready():
              check(drg.poll() is None, "drgate exited: " + open(errpath).read()[-3000:])
              return '"msg":"ready"' in open(errpath).read()
          wait_for(ready, 20, "ready")
          pid = child_pid(drg.pid)
          check(pid is not None, "cannot find drgate under peakrss")
          def drained():
              check(drg.poll() is None, "drgate exited: " + open(errpath).read()[-3000:])
              r = recorded(db)
              return r != -1 and r[0] == distinct and count_lines(events) == r[1]
          try:
              wait_for(drained, 100, "%d distinct messages recorded and drained"
                       % distinct)
          except AssertionError:
              print("recorded (messages, events): %s, sink lines: %d"
                    % (recorded(db), count_lines(events)))
              print(open(errpath).read()[-3000:])
              raise
          consume_s = time.monotonic() - t0
          hwm = status_kib(pid, "VmHWM")
          os.kill(pid, signal.SIGTERM)
          rc = drg.wait(timeout=40)
          err.close()
          text = open(errpath).read().splitlines()
          check(rc == 0, "drgate exited %d: %s" % (rc, "\n".join(text[-20:])))
          maxrss = int([l for l in text if l.startswith("maxrss_kib=")][-1].split("=")[1])
          log = [json.loads(l) for l in text if l.startswith("{")]
          stopped = [l for l in log if l["msg"] == "stopped"]
          check(stopped, "no stopped log line")
          s = stopped[0]
          check(s["messages"] == str(N) and s["duplicates"] == str(c["duplicates"])
                and s["rejected"] == str(c["malformed"]),
                "counters %s, want messages %d duplicates %d rejected %d"
                % (s, N, c["duplicates"], c["malformed"]))
          types = {}
          with open(events) as f:
              for line in f:
                  ty = json.loads(line)["type"]
                  types[ty] = types.get(ty, 0) + 1
          check(types.get("drgate.plan.proposed", 0) == 1,
                "plans proposed: %s" % types)
          check(types.get("drgate.input.rejected", 0) == c["malformed"],
                "rejections: %d, malformed: %d"
                % (types.get("drgate.input.rejected", 0), c["malformed"]))
          con = sqlite3.connect(db)
          plans = con.execute("SELECT count(*) FROM plans").fetchone()[0]
          con.close()
          check(plans == 1, "%d plans in the store" % plans)
          r = run(["audit", "verify", "--file", events])
          check(r.returncode == 0, "audit verify: " + r.stderr)
          print("storm: %d messages (%d duplicates, %d malformed) produced in "
                "%.1f s; drgate run consumed them in %.1f s (%.0f msg/s, to "
                "the last event in the sink)" % (N, c["duplicates"], c["malformed"],
                                                 produce_s, consume_s, N / consume_s))
          print("storm: events %s" % json.dumps(types, sort_keys=True))
          print("storm: peak RSS %.1f MiB (peakrss), VmHWM %.1f MiB; ceiling %d MiB"
                % (maxrss / 1024, hwm / 1024, RSS_CEILING_MIB))
          check(maxrss < RSS_CEILING_MIB * 1024,
                "peak RSS %.1f MiB over %d MiB" % (maxrss / 1024, RSS_CEILING_MIB))
      finally:
          if drg and drg.poll() is None:
              pid = child_pid(drg.pid)
              if pid:
                  os.kill(pid, signal.SIGKILL)
              drg.kill()
              drg.wait()
          mock.stdin.close()
          mock.terminate()
          mock.wait(timeout=10)
finally:
    if shm:
        import shutil
        shutil.rmtree(shm, ignore_errors=True)
print("ok")
