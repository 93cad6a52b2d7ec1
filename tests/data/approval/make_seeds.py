#!/usr/bin/env python3
"""Writes the seed corpora of fuzz_approval and fuzz_snsenvelope.

Usage: make_seeds.py  (from anywhere; needs python3-cryptography)
The approval seeds are signed with the fuzz target's fixed keys (Ed25519
from 32 bytes of 'a' and 'b') for its fixed request (plan-fuzz-1, the
all-zero token), so the accepting path is reachable. The SNS seeds are
signed with tests/data/sns/signer.key.
"""
import base64
import json
import os

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
APPR = os.path.join(ROOT, "tests", "fuzz", "corpus", "approval")
SNS = os.path.join(ROOT, "tests", "fuzz", "corpus", "snsenvelope")
PLAN = "plan-fuzz-1"
DIGEST = "sha256:" + "ab" * 32
TOKEN = base64.urlsafe_b64encode(bytes(32)).decode().rstrip("=")
KEYS = {"alice": Ed25519PrivateKey.from_private_bytes(b"a" * 32),
        "bob": Ed25519PrivateKey.from_private_bytes(b"b" * 32),
        "mallory": Ed25519PrivateKey.from_private_bytes(b"m" * 32)}


def canonical(o):
    return json.dumps({k: v for k, v in o.items() if k != "signature"},
                      sort_keys=True, separators=(",", ":")).encode()


def reply(who="alice", decision="approve", adl=True, token=TOKEN,
          digest=DIGEST, key=None, signed_at="2026-01-01T00:00:30Z"):
    o = {"type": "drgate.approval", "plan_id": PLAN, "plan_digest": digest,
         "decision": decision, "token": token, "approver": who,
         "signed_at": signed_at}
    if adl is not None:
        o["accept_data_loss"] = adl
    sig = KEYS[key or who].sign(canonical(o))
    o["signature"] = base64.b64encode(sig).decode()
    return o


def write(d, name, text):
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "w") as f:
        f.write(text)


def approval_seeds():
    seeds = {
        "accept-alice": reply(),
        "accept-bob": reply("bob"),
        "reject-alice": reply("alice", "reject", None),
        "no-data-loss": reply(adl=None),
        "data-loss-false": reply(adl=False),
        "wrong-token": reply(token="B" * 43),
        "wrong-digest": reply(digest="sha256:" + "cd" * 32),
        "unknown-approver": reply("mallory"),
        "other-key": reply("alice", key="bob"),
        "future": reply(signed_at="2026-01-01T01:00:00Z"),
    }
    for name, o in seeds.items():
        write(APPR, name + ".json", json.dumps(o))
    bad = reply()
    bad["signature"] = bad["signature"][:-4] + "AAA="
    write(APPR, "bad-signature.json", json.dumps(bad))
    env = {"Type": "Notification", "MessageId": "m-1",
           "TopicArn": "arn:aws:sns:us-east-1:123456789012:replies",
           "Message": json.dumps(reply("bob")),
           "Timestamp": "2026-01-01T00:00:40.000Z", "SignatureVersion": "2",
           "Signature": "AAAA",
           "SigningCertURL": "https://sns.us-east-1.amazonaws.com/x.pem"}
    write(APPR, "sns-wrapped.json", json.dumps(env))
    write(APPR, "malformed.json", '{"type":"drgate.approval","plan_id":1}')


def sns_seeds():
    with open(os.path.join(ROOT, "tests", "data", "sns", "signer.key"), "rb") as f:
        key = serialization.load_pem_private_key(f.read(), None)

    def signed(env, version):
        if env["Type"] == "Notification":
            keys = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn",
                    "Type"]
        else:
            keys = ["Message", "MessageId", "SubscribeURL", "Timestamp",
                    "Token", "TopicArn", "Type"]
        sts = "".join("%s\n%s\n" % (k, env[k]) for k in keys if k in env)
        h = hashes.SHA1() if version == 1 else hashes.SHA256()
        env["SignatureVersion"] = str(version)
        env["Signature"] = base64.b64encode(
            key.sign(sts.encode(), padding.PKCS1v15(), h)).decode()
        return env

    base = {"Type": "Notification", "MessageId": "22b80b92-fdea",
            "TopicArn": "arn:aws:sns:us-east-1:123456789012:replies",
            "Subject": "drgate", "Message": json.dumps(reply()),
            "Timestamp": "2026-01-01T00:00:40.000Z",
            "SigningCertURL": "https://sns.us-east-1.amazonaws.com/"
                              "SimpleNotificationService-x.pem",
            "UnsubscribeURL": "https://sns.us-east-1.amazonaws.com/?a=b"}
    write(SNS, "v1-subject.json", json.dumps(signed(dict(base), 1)))
    nosub = dict(base)
    del nosub["Subject"]
    write(SNS, "v2-no-subject.json", json.dumps(signed(nosub, 2)))
    conf = dict(base, Type="SubscriptionConfirmation", Token="t" * 40,
                SubscribeURL="https://sns.us-east-1.amazonaws.com/?c=1")
    del conf["Subject"]
    write(SNS, "confirmation.json", json.dumps(signed(conf, 2)))
    t = signed(dict(base), 2)
    t["Timestamp"] = "2026-01-01T00:00:41.000Z"
    write(SNS, "tampered.json", json.dumps(t))
    write(SNS, "cn-url.json", json.dumps(dict(
        base, SigningCertURL="https://sns.cn-north-1.amazonaws.com.cn/a.pem",
        SignatureVersion="1", Signature="AAAA")))
    write(SNS, "not-sns.json", '{"Type": 3}')


approval_seeds()
sns_seeds()
