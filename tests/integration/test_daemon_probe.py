"""The probe source: a loopback TCP listener that the test opens and then
closes. The canary's failure is recorded within interval_seconds +
timeout_ms of the close (by the probe's own timestamps, with 1 s of slack
for scheduling), and SIGTERM drains and exits 0."""
import calendar
import json
import os
import signal
import socket
import subprocess
import time

from daemonutil import DRGATE, TempDir, base_config, check, lines, wait_for

INTERVAL_S, TIMEOUT_MS = 1, 300


def iso_ms(s):
    # "2026-01-01T00:00:00.000Z"
    t = time.strptime(s[:19], "%Y-%m-%dT%H:%M:%S")
    return calendar.timegm(t) * 1000 + int(s[20:23])


with TempDir() as tmp:
    lst = socket.socket()
    lst.bind(("127.0.0.1", 0))
    lst.listen(16)
    port = lst.getsockname()[1]
    events = os.path.join(tmp, "events.jsonl")
    cfg = base_config(tmp, [{"type": "probe", "name": "primary-writer",
                             "region": "us-east-1",
                             "target": "tcp://127.0.0.1:%d" % port,
                             "interval_seconds": INTERVAL_S,
                             "timeout_ms": TIMEOUT_MS}],
                      [{"type": "file", "path": events}])
    c = json.load(open(cfg))
    c["policy"]["signals"] = [s for s in c["policy"]["signals"]
                              if s["name"] in ("canary", "writer-alarm")]
    c["policy"]["quorum"] = 1
    json.dump(c, open(cfg, "w"))
    err = open(os.path.join(tmp, "stderr"), "w+")
    p = subprocess.Popen([DRGATE, "run", "--config", cfg],
                         stdout=subprocess.DEVNULL, stderr=err)
    try:
        # Accept the probes' connections while open; two probe rounds.
        lst.settimeout(5)
        for _ in range(2):
            conn, _ = lst.accept()
            conn.close()
        closed_ms = int(time.time() * 1000)
        lst.close()

        def failing():
            return any(e["type"] == "drgate.decision.made" and
                       any("canary failing since" in r
                           for r in e["data"]["reasons"])
                       for e in lines(events))
        wait_for(failing, 10, "the canary failure decision")
        ev = [e for e in lines(events) if e["type"] == "drgate.decision.made"][-1]
        since = [r for r in ev["data"]["reasons"] if "canary failing since" in r][0]
        t = iso_ms(since.split("since ")[1].split(" ")[0])
        delay = t - closed_ms
        print("closed port detected %d ms after close (bound %d ms)"
              % (delay, INTERVAL_S * 1000 + TIMEOUT_MS))
        check(delay <= INTERVAL_S * 1000 + TIMEOUT_MS + 1000,
              "detected too late: %d ms" % delay)
        check(ev["data"]["verdict"] in ("hold", "propose"), "unexpected verdict")
        os.kill(p.pid, signal.SIGTERM)
        rc = p.wait(timeout=30)
        check(rc == 0, "drgate exited %d after SIGTERM" % rc)
        err.seek(0)
        log = err.read()
        check('"msg":"ready"' in log and '"msg":"stopped"' in log,
              "missing ready/stopped log lines")
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        lst.close()
print("ok")
