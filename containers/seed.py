#!/usr/bin/env python3
"""compose.yaml's one-shot seeding job.

Seeds moto (queues, topics, rules, Route53, ECS, exports, SSM parameters)
exactly as `infra/local/sandbox start` does, by calling the sandbox's own
functions against the compose services, then writes drgate's config for the
drgate container:

  OUT/drgate.json    service.state_dir=/var/lib/drgate, http on 0.0.0.0:9464
  OUT/runbooks/      the runbook library
  KEYS/keys/         the approver keys (never mounted into drgate)

Usage: seed.py --moto URL --sim URL --out DIR --keys DIR
"""
import argparse
import importlib.machinery
import importlib.util
import json
import os
import sys
import time
import urllib.parse

REPO = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))


def load_sandbox():
    path = os.path.join(REPO, "infra", "local", "sandbox")
    loader = importlib.machinery.SourceFileLoader("drgate_sandbox", path)
    spec = importlib.util.spec_from_loader("drgate_sandbox", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--moto", required=True)
    ap.add_argument("--sim", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--keys", required=True)
    ap.add_argument("--sustain-seconds", type=int, default=10)
    a = ap.parse_args()
    sb = load_sandbox()
    info = {"moto_url": a.moto, "moto_direct_url": a.moto, "sim_url": a.sim, "verify_signatures": False}
    deadline = time.time() + 60
    while True:
        try:
            writers = sb.http_json(a.sim + "/_sim/writers")
            break
        except OSError:
            if time.time() > deadline:
                sys.exit("seed: simulator not answering at " + a.sim)
            time.sleep(1)
    info["writer_ports"] = {r: w["port"] for r, w in writers.items()}
    c = sb.clients(info)
    east = c("rds", sb.PRIMARY).describe_db_clusters(DBClusterIdentifier="orders-east")["DBClusters"][0]
    west = c("rds", sb.SECONDARY).describe_db_clusters(DBClusterIdentifier="orders-west")["DBClusters"][0]
    info.update({"primary_cluster_arn": east["DBClusterArn"], "primary_writer_endpoint": east["Endpoint"],
                 "secondary_cluster_arn": west["DBClusterArn"], "secondary_writer_endpoint": west["Endpoint"]})
    sb.seed_moto(info)
    pems = sb.gen_keys(a.keys)
    os.makedirs(a.out, exist_ok=True)
    path = sb.write_config(a.out, info, pems, a.sustain_seconds)
    with open(path) as f:
        cfg = json.load(f)
    cfg["service"]["state_dir"] = "/var/lib/drgate"
    cfg["service"]["http_listen"] = "0.0.0.0:9464"
    cfg["service"]["http_allow_remote"] = True  # published to the host only
    cfg["store"]["path"] = "drgate.db"
    sim_host = urllib.parse.urlparse(a.sim).hostname
    for src in cfg["sources"]:
        if src["type"] == "probe":
            src["target"] = "tcp://%s:%d" % (sim_host, info["writer_ports"][sb.PRIMARY])
    for sink in cfg["sinks"]:
        if sink["type"] == "file":
            sink["path"] = "/var/lib/drgate/events.jsonl"
    with open(path + ".tmp", "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    os.replace(path + ".tmp", path)
    sb.copy_runbooks(a.out)
    print("seed: wrote %s; queue %s" % (path, info["queue_url"]), flush=True)


if __name__ == "__main__":
    main()
