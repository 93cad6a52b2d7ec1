"""Alarm-storm message generator for the storm test and the benchmarks.

storm(path, n) writes n messages, one per line: CloudWatch "Alarm State
Change" events (EventBridge form, compact), of which about 1% are malformed
(each one different, so each is its own rejection), half of the rest are
exact duplicates of an earlier message (redelivery), and the two alarms the
scenario config names (orders-writer-health, orders-api-latency) are OK
except for one window in which both are in ALARM for WINDOW_S seconds:
with quorum 2 and a 30 s sustain that is exactly one planned failover.
Every other alarm is noise the policy does not match. The last line is a
unique valid message, so "all unique ids recorded" means "all consumed".
Deterministic (seeded).
"""
import random
import time

T0_MS = 1767225600000  # 2026-01-01T00:00:00Z
SPAN_MS = 495000       # signal time the unique messages cover
WINDOW_START_S = 120
WINDOW_S = 90
CONFIGURED = ("orders-writer-health", "orders-api-latency")

TEMPLATE = ('{"version":"0","id":"%s","detail-type":"CloudWatch Alarm State Change",'
            '"source":"aws.cloudwatch","account":"123456789012","time":"%s",'
            '"region":"us-east-1","resources":["arn:aws:cloudwatch:us-east-1:'
            '123456789012:alarm:%s"],"detail":{"alarmName":"%s","state":'
            '{"value":"%s","reason":"Threshold Crossed","timestamp":"%s"}}}')

BAD = (
    'not json at all #%d',
    '{"version":"0","id":"trunc-%d","detail-type":"CloudWatch Alarm State Ch',
    '{"detail-type":"EC2 Instance State-change Notification","source":"aws.ec2",'
    '"id":"ec2-%d","detail":{}}',
    '{"Action":"explode-%d","GlobalClusterIdentifier":"g",'
    '"TargetDbClusterIdentifier":"t"}',
)


def iso(ms, compact):
    s, ms = divmod(ms, 1000)
    t = time.gmtime(s)
    if compact:
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", t)
    return time.strftime("%Y-%m-%dT%H:%M:%S", t) + ".%03d+0000" % ms


def _valid(j, step):
    ms = T0_MS + j * step
    slot = j % 10
    if slot in (0, 5):
        name = CONFIGURED[0 if slot == 0 else 1]
        rel = ms - T0_MS
        lo = WINDOW_START_S * 1000
        state = "ALARM" if lo <= rel < lo + WINDOW_S * 1000 else "OK"
    else:
        name = "noise-%02d" % (j % 37)
        state = "ALARM" if (j // 7) % 2 else "OK"
    return TEMPLATE % ("storm-%08d" % j, iso(ms, True), name, name, state,
                       iso(ms, False))


def counts(n):
    bad = n // 100
    unique = (n - bad + 1) // 2
    return {"messages": n, "malformed": bad, "unique_valid": unique,
            "duplicates": n - bad - unique}


def storm(path, n, seed=9):
    """Writes the storm; returns counts(n)."""
    c = counts(n)
    rnd = random.Random(seed)
    keyed = []
    u = c["unique_valid"]
    step = max(1, SPAN_MS // u)
    for j in range(u):
        keyed.append((float(j), _valid(j, step)))
    # Exact duplicates of all but the last unique message, a little later.
    dups = c["duplicates"]
    for k in range(dups):
        j = k % (u - 1)
        keyed.append((min(j + rnd.uniform(0.5, 300.0), u - 1.5), keyed[j][1]))
    for b in range(c["malformed"]):
        keyed.append((rnd.uniform(0, u - 1.5), BAD[b % len(BAD)] % b))
    keyed.sort(key=lambda kv: kv[0])
    with open(path, "w") as f:
        for _, line in keyed:
            f.write(line)
            f.write("\n")
    return c


def window_ms():
    """The ALARM window in signal time, [start, end)."""
    lo = T0_MS + WINDOW_START_S * 1000
    return lo, lo + WINDOW_S * 1000
