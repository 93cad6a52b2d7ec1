#!/usr/bin/python3
"""Parses Prometheus text exposition from stdin with prometheus_client's own
parser (Debian's python3-prometheus-client, hence /usr/bin/python3) and
prints the samples as JSON: [[name, {labels}, value], ...]. A format slip
makes the parser raise: exit status 1."""
import json
import math
import sys

from prometheus_client.parser import text_string_to_metric_families

out = []
for fam in text_string_to_metric_families(sys.stdin.read()):
    for s in fam.samples:
        v = s.value
        out.append([s.name, dict(s.labels), None if math.isnan(v) else v])
json.dump(out, sys.stdout)
