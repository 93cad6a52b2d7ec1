#!/usr/bin/env python3
"""End-to-end tests of drgate keygen / approve / reject.

Usage: test_approve_cli.py PATH/TO/drgate
Signs replies with keys made by `drgate keygen`, checks the reply's shape,
that its Ed25519 signature over the canonical reply (without "signature")
verifies with the approver's public key and no other (python cryptography
and the openssl CLI), the exit codes, and the key-file and config checks.
"""
import base64
import datetime
import json
import os
import stat
import subprocess
import sys
import tempfile
import unittest

DRGATE = None
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RUNBOOKS = os.path.join(ROOT, "config", "runbooks")
PLAN = "plan-20260304T100000Z-3f2a9c1e"
DIGEST = "sha256:" + "3f2a9c1e" * 8
TOKEN = "Xk3v9QpL2mN8rT5wY1zA4bC7dE0fG6hJ-_sU2iO9pQa"
KEYS = {"type", "plan_id", "plan_digest", "decision", "token", "approver",
        "signed_at", "signature"}


# Publishing goes through the AWS layer: keep every run hermetic (no
# metadata service, every endpoint a closed loopback port).
HERMETIC = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
HERMETIC.update({"AWS_EC2_METADATA_DISABLED": "true",
                 "AWS_CONFIG_FILE": "/nonexistent/drgate-test",
                 "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/drgate-test",
                 "AWS_ACCESS_KEY_ID": "AKIDTESTONLY",
                 "AWS_SECRET_ACCESS_KEY": "test-only-secret",
                 "AWS_ENDPOINT_URL": "http://127.0.0.1:9"})


def run(*args):
    p = subprocess.run([DRGATE, *args], capture_output=True, text=True,
                       timeout=60, env=HERMETIC)
    return p.returncode, p.stdout, p.stderr


def canonical(obj):
    body = {k: v for k, v in obj.items() if k != "signature"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode()


class ApproveCli(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dir = cls.tmp.name
        for who in ("alice", "bob"):
            rc, _, err = run("keygen", "--out", os.path.join(cls.dir, who))
            assert rc == 0, err
        cls.config = os.path.join(cls.dir, "drgate.json")
        with open(os.path.join(cls.dir, "alice.pub")) as f:
            alice_pub = f.read()
        cfg = {
            "topology": {"primary_region": "us-east-1",
                         "secondary_region": "us-west-2"},
            "policy": {
                "signals": [{"name": "writer-alarm",
                             "match": {"source": "cloudwatch"}}],
                "quorum": 1,
                "runbooks": {
                    "planned": os.path.join(RUNBOOKS, "aurora-switchover.json"),
                    "unplanned": os.path.join(RUNBOOKS, "aurora-failover.json")},
            },
            "approval": {
                "request_topic_arn":
                    "arn:aws:sns:us-west-2:123456789012:drgate-approvals",
                "reply_topic_arn":
                    "arn:aws:sns:us-west-2:123456789012:drgate-replies",
                "approvers": [{"name": "alice", "public_key": alice_pub}],
                "quorum": {"planned": 1, "unplanned": 1},
            },
        }
        with open(cls.config, "w") as f:
            json.dump(cfg, f)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def key(self, who):
        return os.path.join(self.dir, who + ".key")

    def pub(self, who):
        return os.path.join(self.dir, who + ".pub")

    def sign(self, cmd="approve", who="alice", *extra):
        return run(cmd, "--plan", PLAN, "--digest", DIGEST, "--token", TOKEN,
                   "--approver", who, "--key", self.key(who), *extra)

    def reply(self, cmd="approve", who="alice", *extra):
        rc, out, err = self.sign(cmd, who, "--print", *extra)
        self.assertEqual(rc, 0, err)
        lines = out.splitlines()
        self.assertEqual(len(lines), 1, out)
        return json.loads(lines[0])

    def verifies(self, reply, who):
        from cryptography.hazmat.primitives.serialization import load_pem_public_key
        from cryptography.exceptions import InvalidSignature
        with open(self.pub(who), "rb") as f:
            key = load_pem_public_key(f.read())
        try:
            key.verify(base64.b64decode(reply["signature"]), canonical(reply))
            return True
        except InvalidSignature:
            return False

    def openssl_verifies(self, reply, who):
        msg = os.path.join(self.dir, "msg")
        sig = os.path.join(self.dir, "sig")
        with open(msg, "wb") as f:
            f.write(canonical(reply))
        with open(sig, "wb") as f:
            f.write(base64.b64decode(reply["signature"]))
        p = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey",
                            self.pub(who), "-rawin", "-in", msg, "-sigfile",
                            sig], capture_output=True, timeout=30)
        return p.returncode == 0

    def test_approve_print_shape_and_signature(self):
        r = self.reply()
        self.assertEqual(set(r), KEYS)
        self.assertEqual(r["type"], "drgate.approval")
        self.assertEqual(r["plan_id"], PLAN)
        self.assertEqual(r["plan_digest"], DIGEST)
        self.assertEqual(r["decision"], "approve")
        self.assertEqual(r["token"], TOKEN)
        self.assertEqual(r["approver"], "alice")
        self.assertRegex(r["signed_at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        when = datetime.datetime.strptime(r["signed_at"], "%Y-%m-%dT%H:%M:%SZ")
        now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
        self.assertLess(abs((now - when).total_seconds()), 300)
        self.assertEqual(len(base64.b64decode(r["signature"])), 64)
        self.assertTrue(self.verifies(r, "alice"))
        self.assertTrue(self.openssl_verifies(r, "alice"))
        # Not with another approver's key, and not once altered.
        self.assertFalse(self.verifies(r, "bob"))
        self.assertFalse(self.openssl_verifies(r, "bob"))
        r["decision"] = "reject"
        self.assertFalse(self.verifies(r, "alice"))

    def test_accept_data_loss(self):
        r = self.reply("approve", "alice", "--accept-data-loss")
        self.assertEqual(set(r), KEYS | {"accept_data_loss"})
        self.assertIs(r["accept_data_loss"], True)
        self.assertTrue(self.verifies(r, "alice"))
        del r["accept_data_loss"]
        self.assertFalse(self.verifies(r, "alice"))

    def test_reject_print(self):
        r = self.reply("reject", "bob")
        self.assertEqual(set(r), KEYS)
        self.assertEqual(r["decision"], "reject")
        self.assertTrue(self.verifies(r, "bob"))
        self.assertTrue(self.openssl_verifies(r, "bob"))
        rc, _, err = self.sign("reject", "bob", "--print", "--accept-data-loss")
        self.assertEqual(rc, 2, err)

    def test_missing_or_malformed_options_exit_2(self):
        full = ["--plan", PLAN, "--digest", DIGEST, "--token", TOKEN,
                "--approver", "alice", "--key", self.key("alice"), "--print"]
        for cmd in ("approve", "reject"):
            for i in range(0, 10, 2):
                args = full[:i] + full[i + 2:]
                rc, out, err = run(cmd, *args)
                self.assertEqual(rc, 2, "%s without %s: %s" % (cmd, full[i], err))
                self.assertEqual(out, "")
            for opt, bad in (("--digest", "sha256:abc"),
                             ("--digest", "md5:" + "0" * 64),
                             ("--token", "short"),
                             ("--token", "!" * 43)):
                args = list(full)
                args[args.index(opt) + 1] = bad
                rc, out, err = run(cmd, *args)
                self.assertEqual(rc, 2, "%s %s %s: %s" % (cmd, opt, bad, err))
            rc, _, _ = run(cmd, *full, "--bogus")
            self.assertEqual(rc, 2)
            rc, out, _ = run(cmd, "--help")
            self.assertEqual(rc, 0)
            self.assertIn("--print", out)

    def test_key_file_permissions(self):
        loose = os.path.join(self.dir, "loose.key")
        with open(self.key("alice"), "rb") as f:
            data = f.read()
        with open(loose, "wb") as f:
            f.write(data)
        os.chmod(loose, 0o644)
        args = ["--plan", PLAN, "--digest", DIGEST, "--token", TOKEN,
                "--approver", "alice", "--print"]
        rc, out, err = run("approve", *args, "--key", loose)
        self.assertEqual(rc, 1)
        self.assertEqual(out, "")
        self.assertIn("other users", err)
        os.chmod(loose, 0o640)
        rc, out, err = run("approve", *args, "--key", loose)
        self.assertEqual(rc, 0, err)
        self.assertIn("warning", err)
        rc, _, err = run("approve", *args, "--key", self.pub("alice"))
        self.assertEqual(rc, 1)  # a public key cannot sign
        rc, _, err = run("approve", *args, "--key",
                         os.path.join(self.dir, "missing.key"))
        self.assertEqual(rc, 1)

    def test_config_checks_approver_and_key(self):
        rc, out, err = self.sign("approve", "alice", "--print",
                                 "--config", self.config)
        self.assertEqual(rc, 0, err)
        self.assertTrue(self.verifies(json.loads(out), "alice"))
        rc, out, err = self.sign("approve", "bob", "--print",
                                 "--config", self.config)
        self.assertEqual(rc, 1)
        self.assertIn("not listed", err)
        rc, out, err = run("approve", "--plan", PLAN, "--digest", DIGEST,
                           "--token", TOKEN, "--approver", "alice", "--key",
                           self.key("bob"), "--print", "--config", self.config)
        self.assertEqual(rc, 1)
        self.assertIn("does not match", err)

    def test_publishing_failure_is_reported(self):
        # Without --print the reply is published to approval.reply_topic_arn
        # (the sandbox e2e tests publish for real); an unreachable endpoint
        # is a failure that names the topic, and nothing is printed.
        rc, out, err = self.sign("approve", "alice", "--config", self.config)
        self.assertEqual(rc, 1)
        self.assertIn("cannot publish to arn:aws:sns:", err)
        self.assertEqual(out, "")


if __name__ == "__main__":
    DRGATE = sys.argv.pop(1)
    unittest.main(verbosity=2)
