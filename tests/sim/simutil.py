"""Helpers for the simulator and sandbox tests (stdlib + boto3 only)."""

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

import boto3
import botocore.exceptions
from botocore.config import Config

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SIM = os.path.join(REPO, "infra", "local", "sim", "simulator.py")
SANDBOX = os.path.join(REPO, "infra", "local", "sandbox")

ACCESS_KEY = "AKIDSANDBOXEXAMPLE01"
SECRET_KEY = "sandbox/secret/KEY/do-not-use-in-aws-0000"
ACCOUNT = "123456789012"
EAST, WEST = "us-east-1", "us-west-2"
EAST_ARN = "arn:aws:rds:us-east-1:%s:cluster:orders-east" % ACCOUNT
WEST_ARN = "arn:aws:rds:us-west-2:%s:cluster:orders-west" % ACCOUNT


class SimProcess:
    """The simulator as a child process on an ephemeral port, stopped by PID."""

    def __init__(self, *extra):
        self.tmp = tempfile.mkdtemp(prefix="drgate-simtest-")
        self.port_file = os.path.join(self.tmp, "sim.json")
        self.log = open(os.path.join(self.tmp, "sim.log"), "wb")
        self.proc = subprocess.Popen([sys.executable, SIM, "--port", "0", "--port-file", self.port_file]
                                     + list(extra), stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while not os.path.exists(self.port_file):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("simulator did not start; log in %s" % self.tmp)
            time.sleep(0.05)
        with open(self.port_file) as f:
            info = json.load(f)
        self.port = info["port"]
        self.writer_ports = info["writer_ports"]
        self.url = "http://127.0.0.1:%d" % self.port

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()

    # control API
    def ctl(self, path, body=None, method=None):
        return control(self.url, path, body, method)

    def client(self, service, region, secret=SECRET_KEY, key=ACCESS_KEY):
        return client(self.url, service, region, secret, key)


def control(url, path, body=None, method=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url + path, data=data, method=method or ("POST" if data is not None else "GET"),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def client(url, service, region, secret=SECRET_KEY, key=ACCESS_KEY):
    cfg = Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=2, read_timeout=10)
    return boto3.session.Session().client(service, region_name=region, endpoint_url=url,
                                          aws_access_key_id=key, aws_secret_access_key=secret,
                                          config=cfg)


def wait_until(fn, timeout=10.0, interval=0.05, what="condition"):
    """Poll fn() until it returns a truthy value; return it."""
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for %s" % what)
        time.sleep(interval)


def error_code(exc):
    return exc.response["Error"]["Code"], exc.response["ResponseMetadata"]["HTTPStatusCode"]


def is_unreachable(exc):
    return isinstance(exc, botocore.exceptions.BotoCoreError) and not isinstance(
        exc, botocore.exceptions.ClientError)
