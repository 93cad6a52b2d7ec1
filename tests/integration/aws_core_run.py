#!/usr/bin/env python3
"""Runs one aws-core integration binary with the stand-ins it needs.

  aws_core_run.py --need stub,moto,moto_noauth,sigproxy,sim,fault -- BINARY [ARGS]

Everything listens on 127.0.0.1 with ephemeral ports and is stopped by PID
(our own children only) when the binary exits, also on failure. The binary
gets the URLs in its environment:

  AWSCORE_STUB_URL       tests/support/httpstub.py
  AWSCORE_MOTO_URL       moto with signature checking ON (an IAM user's key)
  AWSCORE_MOTO_NOAUTH_URL  a second moto, auth off (Route53: moto's checker
                         rejects valid Route53 signatures)
  AWSCORE_SIGPROXY_URL   infra/local/sim/sigproxy.py in front of the second
                         moto: verifies every signature with botocore
  AWSCORE_SIM_URL        infra/local/sim/simulator.py --verify-signatures
  AWSCORE_FAULT_URL      tests/support/faultproxy.py in front of moto (auth on)
  AWSCORE_AK, AWSCORE_SK the IAM access key moto, sigproxy and the simulator
                         accept
"""

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SUPPORT = os.path.join(ROOT, "tests", "support")
SIM = os.path.join(ROOT, "infra", "local", "sim")

CHILDREN = []


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def spawn(args, env=None, ready=None, timeout=30):
    """Starts a child; when ready is a prefix, waits for that stdout line and
    returns its JSON payload."""
    p = subprocess.Popen(args, stdout=subprocess.PIPE if ready else subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, env=env, text=True)
    CHILDREN.append(p)
    if not ready:
        return p, None
    deadline = time.time() + timeout
    while time.time() < deadline:
        line = p.stdout.readline()
        if not line:
            raise RuntimeError("%s exited before it was ready" % args[1])
        if line.startswith(ready):
            return p, json.loads(line[len(ready):].strip())
    raise RuntimeError("%s not ready" % args[1])


def wait_http(url, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except urllib.error.HTTPError:
            return  # any HTTP answer means it is up
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("%s did not answer" % url)


def start_moto():
    port = free_port()
    env = dict(os.environ)
    env.pop("INITIAL_NO_AUTH_ACTION_COUNT", None)
    spawn([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], env=env)
    url = "http://127.0.0.1:%d" % port
    wait_http(url + "/moto-api/")
    return url


def iam_key(moto_url):
    import boto3
    iam = boto3.client("iam", endpoint_url=moto_url, region_name="us-east-1",
                       aws_access_key_id="setup", aws_secret_access_key="setup")
    iam.create_user(UserName="drgate-test")
    iam.put_user_policy(UserName="drgate-test", PolicyName="all",
                        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
                            {"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    k = iam.create_access_key(UserName="drgate-test")["AccessKey"]
    return k["AccessKeyId"], k["SecretAccessKey"]


def auth_on(moto_url):
    req = urllib.request.Request(moto_url + "/moto-api/reset-auth", data=b"0",
                                 headers={"Content-Type": "text/plain"}, method="POST")
    urllib.request.urlopen(req, timeout=10).read()


def stop_all():
    for p in CHILDREN:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    deadline = time.time() + 10
    for p in CHILDREN:
        try:
            p.wait(max(0.1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--need", default="")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd
    need = set(filter(None, a.need.split(",")))
    env = dict(os.environ)
    try:
        if "stub" in need:
            _, info = spawn([sys.executable, os.path.join(SUPPORT, "httpstub.py")],
                            ready="STUB_READY ")
            env["AWSCORE_STUB_URL"] = "http://127.0.0.1:%d" % info["port"]
        ak, sk = "AKIDAWSCORETEST00001", "awscore-test-secret"
        if need & {"moto", "fault"}:
            moto = start_moto()
            ak, sk = iam_key(moto)
            auth_on(moto)
            env["AWSCORE_MOTO_URL"] = moto
        env["AWSCORE_AK"], env["AWSCORE_SK"] = ak, sk
        if need & {"moto_noauth", "sigproxy"}:
            moto2 = start_moto()
            env["AWSCORE_MOTO_NOAUTH_URL"] = moto2
            _, info = spawn([sys.executable, os.path.join(SIM, "sigproxy.py"), "--upstream", moto2,
                             "--access-key", ak, "--secret-key", sk], ready="PROXY_READY ")
            env["AWSCORE_SIGPROXY_URL"] = "http://127.0.0.1:%d" % info["port"]
        if "sim" in need:
            pf = os.path.join(os.environ.get("TMPDIR", "/tmp"), "awscore-sim-%d.json" % os.getpid())
            spawn([sys.executable, os.path.join(SIM, "simulator.py"), "--port", "0",
                   "--port-file", pf, "--verify-signatures", "--access-key", ak,
                   "--secret-key", sk])
            deadline = time.time() + 30
            while not os.path.exists(pf) and time.time() < deadline:
                time.sleep(0.05)
            with open(pf) as f:
                info = json.load(f)
            os.unlink(pf)
            env["AWSCORE_SIM_URL"] = "http://127.0.0.1:%d" % info["port"]
            wait_http(env["AWSCORE_SIM_URL"] + "/_sim/health")
        if "fault" in need:
            _, info = spawn([sys.executable, os.path.join(SUPPORT, "faultproxy.py"),
                             "--upstream", env["AWSCORE_MOTO_URL"]], ready="FAULTPROXY_READY ")
            env["AWSCORE_FAULT_URL"] = "http://127.0.0.1:%d" % info["port"]
        rc = subprocess.call(cmd, env=env)
    except Exception as e:  # setup failure: fail loudly, clean up
        print("aws_core_run: setup failed: %s" % e, file=sys.stderr)
        rc = 1
    finally:
        stop_all()
    return rc


if __name__ == "__main__":
    sys.exit(main())
