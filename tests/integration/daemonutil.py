"""Helpers for the daemon integration tests: configs in a temp dir, running
drgate, reading JSON lines. Everything on 127.0.0.1; processes stopped by
PID."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

DRGATE, KAFKA_MOCK, SRC = sys.argv[1], sys.argv[2], sys.argv[3]

# `drgate run` publishes approval requests through the AWS layer: keep it
# hermetic (no credentials, no metadata service, a closed loopback port as
# every endpoint), so nothing can leave the machine.
for _k in [k for k in os.environ if k.startswith("AWS_")]:
    del os.environ[_k]
os.environ.update({"AWS_EC2_METADATA_DISABLED": "true",
                   "AWS_CONFIG_FILE": "/nonexistent/drgate-test",
                   "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/drgate-test",
                   "AWS_ENDPOINT_URL": "http://127.0.0.1:9"})
SCEN = os.path.join(SRC, "tests", "data", "scenarios")


def base_config(tmp, sources, sinks, store="drgate.db"):
    c = json.load(open(os.path.join(SCEN, "config.json")))
    c["service"]["state_dir"] = tmp
    c["service"]["http_listen"] = "127.0.0.1:0"  # tests run in parallel
    c["store"] = {"path": store}
    c["sources"] = sources
    c["sinks"] = sinks
    c["policy"]["runbooks"] = {
        "planned": os.path.join(SRC, "config/runbooks/aurora-switchover.json"),
        "unplanned": os.path.join(SRC, "config/runbooks/aurora-failover.json"),
    }
    if not any(s["type"] == "probe" for s in sources):
        c["policy"]["signals"] = [s for s in c["policy"]["signals"]
                                  if s["match"]["source"] != "probe"]
    path = os.path.join(tmp, "cfg-%d.json" % len(os.listdir(tmp)))
    with open(path, "w") as f:
        json.dump(c, f)
    return path


def run(args, **kw):
    return subprocess.run([DRGATE] + args, capture_output=True, text=True,
                          timeout=kw.pop("timeout", 60), **kw)


def lines(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()]


def store_events(db):
    import sqlite3
    con = sqlite3.connect(db)
    rows = con.execute("SELECT seq, id, json FROM events ORDER BY seq").fetchall()
    con.close()
    return rows


def wait_for(pred, timeout, what):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


class TempDir:
    def __enter__(self):
        self.path = tempfile.mkdtemp(prefix="drgate-it-")
        return self.path

    def __exit__(self, *a):
        shutil.rmtree(self.path, ignore_errors=True)


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)
