#!/usr/bin/env python3
"""End-to-end tests of the drgate CLI: exit codes, validate, replay.

Usage: test_cli_replay.py PATH/TO/drgate
Runs the real binary on the committed scenario files and checks the JSON
lines it prints (ARCHITECTURE.md section 12).
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

DRGATE = None
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCEN = os.path.join(ROOT, "tests", "data", "scenarios")
CONFIG = os.path.join(SCEN, "config.json")


def run(*args, stdin=None):
    p = subprocess.run([DRGATE, *args], capture_output=True, text=True,
                       input=stdin, timeout=120)
    return p.returncode, p.stdout, p.stderr


def replay(name):
    rc, out, err = run("replay", "--config", CONFIG, os.path.join(SCEN, name))
    assert rc == 0, "replay %s failed (%d): %s" % (name, rc, err)
    return out, [json.loads(l) for l in out.splitlines()]


def kinds(lines, kind):
    return [l for l in lines if l["kind"] == kind]


class Cli(unittest.TestCase):
    def test_help_and_version(self):
        rc, out, _ = run("--help")
        self.assertEqual(rc, 0)
        for cmd in ("run", "validate", "replay", "status", "approve",
                    "reject", "keygen", "audit"):
            self.assertIn(cmd, out)
        rc, out, _ = run("--version")
        self.assertEqual(rc, 0)
        self.assertRegex(out, r"^drgate \d+\.\d+\.\d+")

    def test_usage_errors_exit_2(self):
        self.assertEqual(run()[0], 2)
        self.assertEqual(run("frobnicate")[0], 2)
        self.assertEqual(run("replay", "--bogus")[0], 2)
        self.assertEqual(run("replay", "--config", CONFIG)[0], 2)

    def test_failures_exit_1(self):
        rc, _, err = run("replay", "--config", CONFIG, "/nonexistent.jsonl")
        self.assertEqual(rc, 1)
        self.assertIn("/nonexistent.jsonl", err)
        rc, _, err = run("validate", "--config", "/nonexistent.json")
        self.assertEqual(rc, 1)
        self.assertIn("/nonexistent.json", err)

    def test_validate_good_config(self):
        rc, out, err = run("validate", "--config", CONFIG)
        self.assertEqual(rc, 0, err)
        self.assertIn("valid", out)
        example = os.path.join(ROOT, "config", "drgate.example.json")
        rc, out, err = run("validate", "--config", example)
        self.assertEqual(rc, 0, err)

    def test_validate_reports_all_five_mistakes(self):
        path = os.path.join(ROOT, "tests", "data", "cli", "five-mistakes.json")
        rc, out, err = run("validate", "--config", path)
        self.assertEqual(rc, 1)
        lines = [l for l in err.splitlines() if l.strip()]
        self.assertEqual(len(lines), 5, err)
        for ptr in ("/service/log_level", "/sources/0/wait_seconds",
                    "/topology/secondary_region", "/policy/quorum",
                    "/policy/sustain_secs"):
            self.assertTrue(any(": %s: " % ptr in l for l in lines),
                            "%s not reported in:\n%s" % (ptr, err))
        for l in lines:
            self.assertTrue(l.startswith(path + ": /"), l)

    def test_keygen_refuses_overwrite(self):
        with tempfile.TemporaryDirectory() as d:
            prefix = os.path.join(d, "approver")
            rc, _, err = run("keygen", "--out", prefix)
            self.assertEqual(rc, 0, err)
            self.assertEqual(os.stat(prefix + ".key").st_mode & 0o777, 0o600)
            with open(prefix + ".pub") as f:
                self.assertIn("BEGIN PUBLIC KEY", f.read())
            before = open(prefix + ".key").read()
            rc, _, err = run("keygen", "--out", prefix)
            self.assertEqual(rc, 1)
            self.assertIn("overwrite", err)
            self.assertEqual(open(prefix + ".key").read(), before)


class Replay(unittest.TestCase):
    def test_two_alarms_propose_one_planned_plan(self):
        out, lines = replay("two-alarms.jsonl")
        plans = kinds(lines, "plan")
        self.assertEqual(len(plans), 1, out)
        self.assertEqual(plans[0]["class"], "planned")
        self.assertEqual(plans[0]["runbook"], "aurora-switchover")
        self.assertRegex(plans[0]["digest"], r"^sha256:[0-9a-f]{64}$")
        proposes = [d for d in kinds(lines, "decision") if d["verdict"] == "propose"]
        self.assertEqual(len(proposes), 1)
        d = proposes[0]
        self.assertEqual(d["time"], "2026-01-01T00:00:35.000Z")
        self.assertEqual(d["plan_class"], "planned")
        self.assertEqual(sorted(d["failing"]), ["latency-alarm", "writer-alarm"])
        text = " ".join(d["reasons"])
        self.assertIn("writer-alarm", text)
        self.assertIn("latency-alarm", text)
        # the plan is bound to concrete values
        step = plans[0]["plan"]["layers"][0]["steps"][0]
        self.assertEqual(step["type"], "SwitchoverAurora")
        self.assertEqual(step["parameters"]["GlobalClusterIdentifier"], "orders-global")
        # decisions not to act are recorded too
        self.assertTrue(any(d["verdict"] == "hold" for d in kinds(lines, "decision")))

    def test_byte_identical_output(self):
        a, _ = replay("two-alarms.jsonl")
        b, _ = replay("two-alarms.jsonl")
        self.assertEqual(a, b)
        c, _ = replay("mixed-garbage.jsonl")
        d, _ = replay("mixed-garbage.jsonl")
        self.assertEqual(c, d)

    def test_flapping_alarm_proposes_nothing(self):
        out, lines = replay("two-alarms-flapping.jsonl")
        self.assertEqual(kinds(lines, "plan"), [], out)
        self.assertFalse(any(d["verdict"] == "propose" for d in kinds(lines, "decision")))

    def test_duplicates_change_nothing(self):
        a, _ = replay("two-alarms.jsonl")
        b, _ = replay("two-alarms-duplicates.jsonl")
        self.assertEqual(a, b)

    def test_unreachable_signal_makes_it_unplanned(self):
        out, lines = replay("unplanned.jsonl")
        plans = kinds(lines, "plan")
        self.assertEqual(len(plans), 1, out)
        self.assertEqual(plans[0]["class"], "unplanned")
        self.assertEqual(plans[0]["runbook"], "aurora-failover")
        self.assertTrue(plans[0]["plan"]["data_loss"])

    def test_garbage_is_rejected_with_reasons(self):
        out, lines = replay("mixed-garbage.jsonl")
        rejected = kinds(lines, "rejected")
        self.assertEqual(len(rejected), 3, out)
        self.assertEqual([r["origin"] for r in rejected], ["line 2", "line 3", "line 4"])
        for r in rejected:
            self.assertTrue(r["reason"])
            self.assertTrue(r["reason_code"])
        self.assertEqual(rejected[0]["reason_code"], "bad_json")
        self.assertEqual(len(kinds(lines, "plan")), 1)

    def test_oversized_line_is_rejected_not_fatal(self):
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
            f.write('{"pad": "' + "x" * (300 * 1024) + '"}\n')
            with open(os.path.join(SCEN, "two-alarms.jsonl")) as src:
                f.write(src.read())
            name = f.name
        try:
            rc, out, err = run("replay", "--config", CONFIG, name)
            self.assertEqual(rc, 0, err)
            lines = [json.loads(l) for l in out.splitlines()]
            self.assertEqual(kinds(lines, "rejected")[0]["reason_code"], "too_large")
            self.assertEqual(len(kinds(lines, "plan")), 1)
        finally:
            os.unlink(name)

    def test_line_numbers_count_blank_lines_and_crlf(self):
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
            f.write("\n\r\nnot json\r\n")
            with open(os.path.join(SCEN, "two-alarms.jsonl")) as src:
                f.write(src.read().replace("\n", "\r\n"))
            f.write("{\"truncated\": ")  # last line without a newline
            name = f.name
        try:
            rc, out, err = run("replay", "--config", CONFIG, name)
            self.assertEqual(rc, 0, err)
            lines = [json.loads(l) for l in out.splitlines()]
            origins = [r["origin"] for r in kinds(lines, "rejected")]
            self.assertEqual(origins, ["line 3", "line 8"])
            self.assertEqual(len(kinds(lines, "plan")), 1)
        finally:
            os.unlink(name)

    def test_commands_become_plans(self):
        out, lines = replay("commands.jsonl")
        plans = kinds(lines, "plan")
        self.assertEqual(len(plans), 2, out)
        cmd = plans[0]
        self.assertEqual(cmd["class"], "unplanned")
        self.assertEqual(cmd["plan"]["trigger"], "command")
        step = cmd["plan"]["layers"][0]["steps"][0]
        self.assertEqual(step["parameters"]["DBClusterIdentifier"],
                         "arn:aws:rds:us-west-2:123456789012:cluster:orders-west")
        manifest = plans[1]
        self.assertEqual(manifest["plan"]["trigger"], "manifest")
        self.assertEqual(manifest["class"], "unplanned")  # PromoteRDSReadReplica can lose data
        self.assertIn("!Import rds-mysql-instance-identifier", json.dumps(manifest))
        rejected = kinds(lines, "rejected")
        self.assertEqual(len(rejected), 1)
        self.assertIn("unknown resourceType", rejected[0]["reason"])

    def test_persistent_store_dedups_across_runs(self):
        with tempfile.TemporaryDirectory() as d:
            store = os.path.join(d, "s.db")
            f = os.path.join(SCEN, "two-alarms.jsonl")
            rc, out1, err = run("replay", "--config", CONFIG, "--store", store, f)
            self.assertEqual(rc, 0, err)
            rc, out2, err = run("replay", "--config", CONFIG, "--store", store, f)
            self.assertEqual(rc, 0, err)
            self.assertTrue(out1)
            self.assertEqual(out2, "")


if __name__ == "__main__":
    DRGATE = sys.argv.pop(1)
    unittest.main(verbosity=2)
