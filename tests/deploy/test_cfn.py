#!/usr/bin/env python3
"""deploy_cfn_lint: cfn-lint (errors, warnings and informational findings all
fail) on every infra/cloudformation/*.yaml, YAML parsing with a loader that
knows the CloudFormation tags, the parameter examples against their template,
and drgate's own deployment policy (single task, least privilege, encryption).
Self-check: broken copies in a temp dir must be rejected.

Usage: test_cfn.py SOURCE_DIR
"""
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

import yaml

FAILS = []


def check(cond, msg):
    if not cond:
        FAILS.append(msg)
    return cond


class CfnLoader(yaml.SafeLoader):
    pass


def _tag(loader, suffix, node):
    name = "Ref" if suffix == "Ref" else "Fn::" + suffix
    if isinstance(node, yaml.ScalarNode):
        val = loader.construct_scalar(node)
        if suffix == "GetAtt":
            val = val.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        val = loader.construct_sequence(node, deep=True)
    else:
        val = loader.construct_mapping(node, deep=True)
    return {name: val}


CfnLoader.add_multi_constructor("!", _tag)


def load(path):
    with open(path) as f:
        return yaml.load(f, Loader=CfnLoader)


CFN_LINT = shutil.which("cfn-lint") or "cfn-lint"


def cfn_lint(paths):
    r = subprocess.run([CFN_LINT, "--include-checks", "I", "--"] + paths,
                       capture_output=True, text=True)
    return r.returncode, (r.stdout + r.stderr).strip()


def statements(doc):
    """Every IAM statement of every role/policy in the template, with Fn::If
    branches flattened."""
    out = []

    def add(st):
        if isinstance(st, dict) and "Fn::If" in st:
            for branch in st["Fn::If"][1:]:
                add(branch)
        elif isinstance(st, dict) and "Effect" in st:
            out.append(st)
    for name, res in doc.get("Resources", {}).items():
        props = res.get("Properties", {})
        docs = []
        if res["Type"] == "AWS::IAM::Role":
            docs = [p["PolicyDocument"] for p in props.get("Policies", [])]
        elif res["Type"] in ("AWS::IAM::RolePolicy", "AWS::IAM::ManagedPolicy", "AWS::IAM::Policy"):
            docs = [props["PolicyDocument"]]
        for d in docs:
            for st in d["Statement"]:
                add(st)
    return out


def as_list(x):
    return x if isinstance(x, list) else [x]


# Actions whose service offers no resource-level permission: "*" is allowed.
STAR_OK = {"cloudformation:ListExports", "sts:GetCallerIdentity", "cloudwatch:GetMetricStatistics"}


def policy_problems(doc):
    """drgate's own rules for the main template; returns a list of problems."""
    p = []
    res = doc.get("Resources", {})
    by_type = {}
    for name, r in res.items():
        by_type.setdefault(r["Type"], []).append((name, r.get("Properties", {})))
    svc = by_type.get("AWS::ECS::Service", [])
    if len(svc) != 1:
        p.append("expected exactly one ECS service")
    else:
        props = svc[0][1]
        dc = props.get("DeploymentConfiguration", {})
        if props.get("DesiredCount") != 1:
            p.append("ECS service DesiredCount must be 1 (SQLite single writer)")
        if dc.get("MinimumHealthyPercent") != 0 or dc.get("MaximumPercent") != 100:
            p.append("deployment must be MinimumHealthyPercent 0 / MaximumPercent 100")
    for name, props in by_type.get("AWS::ECS::TaskDefinition", []):
        vols = {v["Name"]: v for v in props.get("Volumes", [])}
        for c in props["ContainerDefinitions"]:
            user = str(c.get("User", ""))
            if not user or user.split(":")[0] in ("0", "root"):
                p.append("container %s must run as a non-root user" % c["Name"])
            if c.get("ReadonlyRootFilesystem") is not True:
                p.append("container %s needs ReadonlyRootFilesystem" % c["Name"])
            if c.get("Essential", True) and "HealthCheck" not in c:
                p.append("essential container %s needs a HealthCheck" % c["Name"])
        mounts = {m["ContainerPath"]: m["SourceVolume"] for c in props["ContainerDefinitions"]
                  for m in c.get("MountPoints", [])}
        v = vols.get(mounts.get("/var/lib/drgate"), {})
        if "EFSVolumeConfiguration" not in v:
            p.append("/var/lib/drgate must be mounted from EFS")
        elif v["EFSVolumeConfiguration"].get("TransitEncryption") != "ENABLED":
            p.append("EFS volume needs TransitEncryption")
    for name, props in by_type.get("AWS::EFS::AccessPoint", []):
        if props.get("PosixUser", {}).get("Uid") != "10001":
            p.append("EFS access point must use the image's uid 10001")
    for t, key in (("AWS::SQS::Queue", "KmsMasterKeyId"), ("AWS::SNS::Topic", "KmsMasterKeyId"),
                   ("AWS::EFS::FileSystem", "KmsKeyId"), ("AWS::Logs::LogGroup", "KmsKeyId")):
        for name, props in by_type.get(t, []):
            if key not in props:
                p.append("%s %s is not encrypted with the CMK" % (t, name))
    for name, props in by_type.get("AWS::Logs::LogGroup", []):
        if "RetentionInDays" not in props:
            p.append("log group %s has no retention" % name)
    queues = dict(by_type.get("AWS::SQS::Queue", []))
    main = queues.get("Queue", {})
    if main.get("RedrivePolicy", {}).get("maxReceiveCount") != 5:
        p.append("signal queue needs a redrive policy with maxReceiveCount 5")
    subs = [s for _, s in by_type.get("AWS::SNS::Subscription", [])]
    if not any(s.get("Protocol") == "sqs" and s.get("RawMessageDelivery") is False for s in subs):
        p.append("replies topic must be subscribed to the queue with RawMessageDelivery false")
    metrics = {pr.get("MetricName") for _, pr in by_type.get("AWS::CloudWatch::Alarm", [])}
    for m in ("RunningTaskCount", "ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage",
              "ErrorLogLines"):
        if m not in metrics:
            p.append("missing alarm on %s" % m)
    for st in statements(doc):
        if st["Effect"] != "Allow":
            continue
        acts = as_list(st["Action"])
        if any(a == "*" or a.endswith(":*") for a in acts):
            p.append("wildcard action in %s" % st.get("Sid", acts))
        if "*" in as_list(st.get("Resource", [])) and not set(acts) <= STAR_OK:
            p.append("Resource \"*\" for %s" % ", ".join(acts))
    return p


def main():
    src = sys.argv[1]
    cfn_dir = os.path.join(src, "infra", "cloudformation")
    templates = sorted(glob.glob(os.path.join(cfn_dir, "*.yaml")))
    check(len(templates) >= 2, "expected drgate.yaml and drgate-primary-forwarder.yaml")
    rc, out = cfn_lint(templates)
    print("cfn-lint %s: rc=%d%s" % (" ".join(os.path.basename(t) for t in templates), rc,
                                   ("\n" + out) if out else " (clean)"))
    check(rc == 0 and out == "", "cfn-lint reported findings")
    docs = {}
    for t in templates:
        try:
            docs[os.path.basename(t)] = d = load(t)
        except yaml.YAMLError as e:
            check(False, "%s: YAML: %s" % (t, e))
            continue
        check(d.get("AWSTemplateFormatVersion") == "2010-09-09", "%s: template version" % t)
        with open(t) as f:
            head = f.read(4000)
        if t.endswith("/drgate.yaml"):
            check("drgate-primary-forwarder" in head and "StackSet" in head,
                  "%s: header must document the cross-region forwarding choice" % t)
        ex = t[:-len(".yaml")] + ".parameters.example.json"
        if check(os.path.exists(ex), "missing %s" % ex):
            with open(ex) as f:
                given = {p["ParameterKey"]: p["ParameterValue"] for p in json.load(f)}
            params = d.get("Parameters", {})
            for k in given:
                check(k in params, "%s: unknown parameter %s" % (ex, k))
            for k, v in params.items():
                check("Default" in v or k in given, "%s: required parameter %s missing" % (ex, k))
            rc2, out2 = subprocess.run([CFN_LINT, "--parameter-files", ex, "--", t],
                                       capture_output=True, text=True).returncode, ""
            check(rc2 == 0, "%s: cfn-lint with the example parameters failed" % ex)
    main_doc = docs.get("drgate.yaml")
    if check(main_doc is not None, "drgate.yaml missing"):
        for problem in policy_problems(main_doc):
            check(False, "drgate.yaml: " + problem)

    # Self-check: the checks above must be able to fail.
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(cfn_dir, "drgate.yaml")) as f:
            text = f.read()
        broken = text.replace("DesiredCount: 1", "DesiredCount: 2").replace(
            'User: "10001:10001"', 'User: "0"', 1).replace(
            "Action: rds:DescribeGlobalClusters\n", "Action: \"rds:*\"\n", 1)
        bad = os.path.join(tmp, "bad.yaml")
        with open(bad, "w") as f:
            f.write(broken)
        probs = policy_problems(load(bad))
        check(any("DesiredCount" in x for x in probs), "self-check: DesiredCount 2 not rejected")
        check(any("non-root" in x for x in probs), "self-check: root container not rejected")
        check(any("wildcard action" in x for x in probs), "self-check: rds:* not rejected")
        lint_bad = os.path.join(tmp, "lint.yaml")
        with open(lint_bad, "w") as f:
            f.write(text.replace("Type: AWS::SQS::Queue\n", "Type: AWS::SQS::Queu\n", 1))
        rc3, out3 = cfn_lint([lint_bad])
        check(rc3 != 0 and out3, "self-check: cfn-lint accepted an unknown resource type")
    if FAILS:
        for m in FAILS:
            print("FAIL: " + m)
        return 1
    print("deploy_cfn_lint: %d templates ok; policy checks and self-checks passed" % len(templates))
    return 0


if __name__ == "__main__":
    sys.exit(main())
