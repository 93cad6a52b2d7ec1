"""Alarm-storm message generator for the storm test and the benchmarks.

storm(path, n) writes n messages, one per line: CloudWatch "Alarm State
Change" events (EventBridge form, compact), of which about 1% are malformed
(each one different, so each is its own rejection), half of the rest are
exact duplicates of an earlier message (redelivery), and the two alarms the
scenario config names (orders-writer-health, orders-api-latency; one
message in 25) are OK
except for one window in which both are in ALARM for WINDOW_S seconds:
with quorum 2 and a 30 s sustain that is exactly one planned failover.
Every other alarm is noise the policy does not match. The last line (of
every partition) occurs only once, so "all distinct ids recorded" means
"all consumed". Deterministic (seeded). librdkafka's mock cluster keeps
only about 5 MB per partition: big storms go over several partitions.
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
    slot = j % 50
    if slot in (0, 25):
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


def storm(path, n, seed=9, partitions=None):
    """Writes the storm to path; returns counts(n). With partitions (P),
    also writes path.0 ... path.P-1 for `kcat -P -p I`: the configured
    alarms (and their duplicates) all go to partition 0, in order, the rest
    round robin; each partition ends with a message that occurs nowhere
    else, so once every distinct message is recorded every partition has
    been read to its end."""
    c = counts(n)
    P = partitions or 1
    rnd = random.Random(seed)
    keyed_lines = []
    u = c["unique_valid"] - P  # P unique end markers come last
    step = max(1, SPAN_MS // u)
    for j in range(u):
        keyed_lines.append((float(j), _valid(j, step)))
    # Exact duplicates, a little later than their originals.
    for k in range(c["duplicates"]):
        j = k % u
        keyed_lines.append((min(j + rnd.uniform(0.5, 300.0), u - 0.5),
                            keyed_lines[j][1]))
    for b in range(c["malformed"]):
        keyed_lines.append((rnd.uniform(0, u - 0.5), BAD[b % len(BAD)] % b))
    keyed_lines.sort(key=lambda kv: kv[0])
    lines = [line for _, line in keyed_lines]
    ends = []
    for p in range(P):
        ms = T0_MS + u * step + p
        ends.append(TEMPLATE % ("storm-end-%03d" % p, iso(ms, True), "noise-end",
                                "noise-end", "OK", iso(ms, False)))
    with open(path, "w") as f:
        for line in lines + ends:
            f.write(line)
            f.write("\n")
    if partitions:
        files = [open("%s.%d" % (path, p), "w") for p in range(P)]
        rr = 0
        for line in lines:
            if any('"alarmName":"%s"' % a in line for a in CONFIGURED):
                files[0].write(line + "\n")
            else:
                files[rr].write(line + "\n")
                rr = (rr + 1) % P
        for p in range(P):
            files[p].write(ends[p] + "\n")
            files[p].close()
    return c


def window_ms():
    """The ALARM window in signal time, [start, end)."""
    lo = T0_MS + WINDOW_START_S * 1000
    return lo, lo + WINDOW_S * 1000
