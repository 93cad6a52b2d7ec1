#!/usr/bin/env python3
"""deploy_containers: containers/Dockerfile and containers/compose.yaml
checked without a Docker engine.

Dockerfile (a small instruction parser): stages FROM debian:12 (build) and
debian:12-slim (final); the build stage runs infra/deps.sh and exactly the
quick start's CMake configure/build lines (infra/local/quickstart, which
.ci/run runs) and ctest -L unit; the final stage installs
`infra/deps.sh --runtime` plus curl, runs as a non-root USER, has a
HEALTHCHECK on /healthz, EXPOSE 9464, ENTRYPOINT drgate and CMD run --config
/etc/drgate/drgate.json; no ADD of remote URLs, no secrets in ENV/ARG.
compose.yaml (PyYAML): services, builds, AWS endpoint wiring to moto and the
simulator, healthchecks, the state volume. The seed job is run for real
against moto and the simulator on 127.0.0.1 and the config it writes must
pass `drgate validate`. Self-check: broken copies must be rejected.

Usage: test_containers.py SOURCE_DIR DRGATE_BINARY
"""
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import yaml

FAILS = []


def check(cond, msg):
    if not cond:
        FAILS.append(msg)
    return cond


# ---------------------------------------------------------------- Dockerfile

def parse_dockerfile(text):
    """[(INSTRUCTION, args)] with continuation lines joined, comments and
    parser directives dropped."""
    out, buf = [], ""
    for raw in text.splitlines():
        line = raw.rstrip()
        if not buf and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if buf and line.lstrip().startswith("#"):
            continue
        if line.endswith("\\"):
            buf += line[:-1] + " "
            continue
        buf += line
        ins, _, args = buf.strip().partition(" ")
        out.append((ins.upper(), args.strip()))
        buf = ""
    if buf.strip():
        ins, _, args = buf.strip().partition(" ")
        out.append((ins.upper(), args.strip()))
    return out


def stages(instrs):
    """[{'from': image, 'name': alias, 'instrs': [...]}]"""
    st = []
    for ins, args in instrs:
        if ins == "FROM":
            parts = args.split()
            flags = [p for p in parts if p.startswith("--")]
            rest = [p for p in parts if not p.startswith("--")]
            name = rest[2] if len(rest) >= 3 and rest[1].upper() == "AS" else None
            st.append({"from": rest[0], "name": name, "flags": flags, "instrs": []})
        elif st:
            st[-1]["instrs"].append((ins, args))
        elif ins not in ("ARG",):
            st.append({"from": None, "name": None, "flags": [], "instrs": [(ins, args)]})
    return st


def run_commands(stage):
    """Every shell command of the stage's RUN instructions, split on && ; and
    'cd X &&' prefixes kept as their own commands."""
    cmds = []
    for ins, args in stage["instrs"]:
        if ins != "RUN":
            continue
        if args.startswith("["):
            cmds.append(json.loads(args))
            continue
        for part in re.split(r"&&|;", args):
            part = part.strip()
            if part:
                cmds.append(shlex.split(part))
    return cmds


def normalise_cmake(tokens, build_dir_tokens, jobs_tokens):
    out = []
    for t in tokens:
        if t in build_dir_tokens:
            out.append("<build>")
        elif t in jobs_tokens:
            out.append("<jobs>")
        elif t.startswith(">") or t in ("2>&1",):
            continue
        else:
            out.append(t)
    return out


def quickstart_cmake_lines(src):
    """The cmake commands of quickstart's build() function."""
    with open(os.path.join(src, "infra", "local", "quickstart")) as f:
        text = f.read()
    m = re.search(r"^build\(\)\s*\{(.*?)^\}", text, re.S | re.M)
    lines = []
    if m:
        for line in m.group(1).splitlines():
            line = line.strip()
            if line.startswith("cmake "):
                lines.append(normalise_cmake(shlex.split(line), {"$build_dir"}, {"$jobs"}))
    deps = bool(m and re.search(r'infra/deps\.sh"?\s*$', m.group(1), re.M))
    return lines, deps


SECRET_RE = re.compile(r"(SECRET|PASSWORD|TOKEN|ACCESS_KEY|PRIVATE|CREDENTIAL)", re.I)


def dockerfile_problems(text, src):
    p = []
    st = stages(parse_dockerfile(text))
    if len(st) < 2:
        return ["expected a multi-stage build (got %d stages)" % len(st)]
    build, final = st[0], st[-1]
    if build["from"] != "debian:12":
        p.append("build stage must be FROM debian:12 (got %s)" % build["from"])
    if final["from"] != "debian:12-slim":
        p.append("final stage must be FROM debian:12-slim (got %s)" % final["from"])
    # build stage: deps script and the quick start's cmake lines
    cmds = run_commands(build)
    if ["infra/deps.sh"] not in cmds and ["./infra/deps.sh"] not in cmds:
        p.append("build stage must RUN infra/deps.sh (the CI dependency script)")
    want, qs_deps = quickstart_cmake_lines(src)
    if not want:
        p.append("could not read the cmake lines of infra/local/quickstart build()")
    if not qs_deps:
        p.append("infra/local/quickstart build() no longer runs infra/deps.sh")
    got = [normalise_cmake(c, {"build"}, {"$(nproc)"}) for c in cmds if c and c[0] == "cmake"]
    for w in want:
        if w not in got:
            p.append("build stage lacks the quick start's line: %s" % " ".join(w))
    ctest = [c for c in cmds if c and c[0] == "ctest"]
    if not any("-L" in c and c[c.index("-L") + 1] == "unit" for c in ctest if "-L" in c[:-1]):
        p.append("build stage must run ctest -L unit")
    # final stage
    fcmds = run_commands(final)
    if ["/tmp/deps.sh", "--runtime"] not in fcmds and ["infra/deps.sh", "--runtime"] not in fcmds:
        p.append("final stage must RUN infra/deps.sh --runtime")
    if not any(c[:2] == ["apt-get", "install"] and "curl" in c for c in fcmds):
        p.append("final stage must install curl (the health check uses it)")
    users = [a for i, a in final["instrs"] if i == "USER"]
    if not users:
        p.append("final stage has no USER (would run as root)")
    elif users[-1].split(":")[0] in ("root", "0"):
        p.append("final stage USER is root")
    hc = [a for i, a in final["instrs"] if i == "HEALTHCHECK"]
    if not hc or "NONE" in hc[-1].split() or "/healthz" not in hc[-1]:
        p.append("final stage needs a HEALTHCHECK on /healthz")
    if not any(i == "EXPOSE" and "9464" in a.split() for i, a in final["instrs"]):
        p.append("final stage must EXPOSE 9464")
    ep = [a for i, a in final["instrs"] if i == "ENTRYPOINT"]
    if not ep or json.loads(ep[-1]) != ["/usr/local/bin/drgate"]:
        p.append('ENTRYPOINT must be ["/usr/local/bin/drgate"]')
    cmd = [a for i, a in final["instrs"] if i == "CMD"]
    if not cmd or json.loads(cmd[-1]) != ["run", "--config", "/etc/drgate/drgate.json"]:
        p.append('CMD must be ["run", "--config", "/etc/drgate/drgate.json"]')
    if not any(i == "VOLUME" and "/var/lib/drgate" in a for i, a in final["instrs"]):
        p.append("final stage must declare VOLUME /var/lib/drgate")
    if not any(i == "COPY" and "--from=" in a and "drgate" in a for i, a in final["instrs"]):
        p.append("final stage must COPY the binary from the build stage")
    for s in st:
        for ins, args in s["instrs"]:
            if ins == "ADD" and re.search(r"\b(https?|ftp|git)://|git@", args):
                p.append("ADD of a remote URL: %s" % args)
            if ins in ("ENV", "ARG"):
                for name in re.findall(r"([A-Za-z_][A-Za-z0-9_]*)=", args) or args.split()[:1]:
                    if SECRET_RE.search(name):
                        p.append("%s %s looks like a secret baked into the image" % (ins, name))
    return p


# ---------------------------------------------------------------- compose

SANDBOX_SECRET = "sandbox/secret/KEY/do-not-use-in-aws-0000"


def compose_problems(doc):
    p = []
    svcs = doc.get("services", {})
    for name in ("moto", "sim", "drgate"):
        if name not in svcs:
            p.append("service %s missing" % name)
    if p:
        return p
    d = svcs["drgate"]
    b = d.get("build", {})
    if b.get("dockerfile") != "containers/Dockerfile":
        p.append("drgate must build containers/Dockerfile")
    env = d.get("environment", {})
    if isinstance(env, list):
        env = dict(e.split("=", 1) for e in env)
    moto_cmd = svcs["moto"].get("command", [])
    if isinstance(moto_cmd, str):
        moto_cmd = shlex.split(moto_cmd)
    if moto_cmd[:3] != ["python3", "-m", "moto.server"] or "0.0.0.0" not in moto_cmd:
        p.append("moto must run python3 -m moto.server -H 0.0.0.0")
    moto_port = moto_cmd[moto_cmd.index("-p") + 1] if "-p" in moto_cmd else None
    sim_cmd = svcs["sim"].get("command", [])
    if not any(str(x).endswith("infra/local/sim/simulator.py") for x in sim_cmd):
        p.append("sim must run infra/local/sim/simulator.py")
    sim_port = sim_cmd[sim_cmd.index("--port") + 1] if "--port" in sim_cmd else None
    if env.get("AWS_ENDPOINT_URL") != "http://moto:%s" % moto_port:
        p.append("drgate AWS_ENDPOINT_URL must point at moto (got %s)" % env.get("AWS_ENDPOINT_URL"))
    for k in ("AWS_ENDPOINT_URL_RDS", "AWS_ENDPOINT_URL_ELASTICACHE"):
        if env.get(k) != "http://sim:%s" % sim_port:
            p.append("drgate %s must point at the simulator (got %s)" % (k, env.get(k)))
    if env.get("AWS_SECRET_ACCESS_KEY") not in (None, SANDBOX_SECRET):
        p.append("drgate AWS_SECRET_ACCESS_KEY is not the sandbox's public test secret")
    for name, s in svcs.items():
        if name != "seed" and "healthcheck" not in s:
            p.append("service %s has no healthcheck" % name)
        if s.get("privileged"):
            p.append("service %s is privileged" % name)
        for port in s.get("ports", []):
            if not str(port).startswith("127.0.0.1:"):
                p.append("service %s publishes %s beyond loopback" % (name, port))
    hc = d.get("healthcheck", {}).get("test", [])
    if "/healthz" not in " ".join(map(str, hc)):
        p.append("drgate healthcheck must probe /healthz")
    vols = [str(v) for v in d.get("volumes", [])]
    state = [v for v in vols if v.split(":")[1:2] == ["/var/lib/drgate"]]
    if not state:
        p.append("drgate needs a volume at /var/lib/drgate")
    elif state[0].split(":")[0] not in doc.get("volumes", {}):
        p.append("the state volume must be a named volume")
    cmd = d.get("command", [])
    if cmd[:2] != ["run", "--config"]:
        p.append("drgate command must be run --config FILE")
    deps = d.get("depends_on", {})
    if isinstance(deps, dict) and "seed" in svcs:
        if deps.get("seed", {}).get("condition") != "service_completed_successfully":
            p.append("drgate must wait for seed to complete")
    return p


# ---------------------------------------------------------------- seed run

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_http(url, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return True
        except OSError:
            time.sleep(0.2)
    return False


def seed_and_validate(src, binary, tmp):
    """Runs containers/seed.py against moto and the simulator on 127.0.0.1,
    then `drgate validate` on the config it wrote."""
    procs = []
    env = dict(os.environ, AWS_EC2_METADATA_DISABLED="true")
    try:
        mp, sp = free_port(), free_port()
        logs = open(os.path.join(tmp, "stand-ins.log"), "w")
        procs.append(subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(mp)],
                                      stdout=logs, stderr=subprocess.STDOUT))
        procs.append(subprocess.Popen([sys.executable, os.path.join(src, "infra/local/sim/simulator.py"),
                                       "--host", "127.0.0.1", "--port", str(sp)],
                                      stdout=logs, stderr=subprocess.STDOUT))
        if not check(wait_http("http://127.0.0.1:%d/moto-api/" % mp) and
                     wait_http("http://127.0.0.1:%d/_sim/health" % sp), "moto/simulator did not start"):
            return
        out, keys = os.path.join(tmp, "run-drgate"), os.path.join(tmp, "keys")
        r = subprocess.run([sys.executable, os.path.join(src, "containers/seed.py"),
                            "--moto", "http://127.0.0.1:%d" % mp, "--sim", "http://127.0.0.1:%d" % sp,
                            "--out", out, "--keys", keys], capture_output=True, text=True, env=env,
                           timeout=120)
        if not check(r.returncode == 0, "seed.py failed:\n" + r.stdout + r.stderr):
            return
        with open(os.path.join(out, "drgate.json")) as f:
            cfg = json.load(f)
        check(cfg["service"]["state_dir"] == "/var/lib/drgate", "seeded config state_dir")
        check(cfg["service"]["http_listen"].endswith(":9464"), "seeded config http_listen")
        check(os.path.isdir(os.path.join(out, "runbooks")), "seed did not copy the runbooks")
        check(not os.path.exists(os.path.join(out, "keys")), "approver keys must not land in drgate's config")
        v = subprocess.run([binary, "validate", "--config", os.path.join(out, "drgate.json")],
                           capture_output=True, text=True, env=env, timeout=60)
        print("drgate validate (seeded compose config): rc=%d %s" % (v.returncode, (v.stdout + v.stderr).strip()[-400:]))
        check(v.returncode == 0, "drgate validate rejected the compose config")
    finally:
        for pr in procs:
            if pr.poll() is None:
                pr.send_signal(signal.SIGTERM)
        for pr in procs:
            try:
                pr.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pr.kill()
                pr.wait()


def main():
    src, binary = sys.argv[1], os.path.abspath(sys.argv[2])
    with open(os.path.join(src, "containers", "Dockerfile")) as f:
        dtext = f.read()
    for m in dockerfile_problems(dtext, src):
        check(False, "Dockerfile: " + m)
    with open(os.path.join(src, ".ci", "run")) as f:
        check(re.search(r"^\s*infra/local/quickstart test\s*$", f.read(), re.M),
              ".ci/run no longer builds through infra/local/quickstart test")
    with open(os.path.join(src, "containers", "sandbox.Dockerfile")) as f:
        stext = f.read()
    users = [a for i, a in parse_dockerfile(stext) if i == "USER"]
    check(users and users[-1].split(":")[0] not in ("0", "root"), "sandbox.Dockerfile must end non-root")
    with open(os.path.join(src, "containers", "compose.yaml")) as f:
        ctext = f.read()
    cdoc = yaml.safe_load(ctext)
    for m in compose_problems(cdoc):
        check(False, "compose.yaml: " + m)

    # Self-checks: each broken copy must be rejected.
    def rejected(text, needle):
        return any(needle in m for m in dockerfile_problems(text, src))
    no_user = "\n".join(l for l in dtext.splitlines() if not l.startswith("USER "))
    check(rejected(no_user, "no USER"), "self-check: Dockerfile without USER accepted")
    check(rejected(dtext.replace("USER 10001:10001", "USER root"), "USER is root"),
          "self-check: USER root accepted")
    check(rejected(dtext.replace("-DDRGATE_WERROR=ON", ""), "quick start's line"),
          "self-check: a configure line differing from the quick start accepted")
    check(rejected(re.sub(r"(?ms)^HEALTHCHECK.*?\]\n", "", dtext), "HEALTHCHECK"),
          "self-check: Dockerfile without HEALTHCHECK accepted")
    check(rejected(dtext + "\nADD https://example.com/x.tgz /x\n", "remote URL"),
          "self-check: ADD of a URL accepted")
    check(rejected(dtext + "\nENV AWS_SECRET_ACCESS_KEY=abc\n", "secret"),
          "self-check: ENV secret accepted")
    check(rejected(dtext.replace("RUN infra/deps.sh\n", "RUN apt-get update\n"), "infra/deps.sh"),
          "self-check: build stage without infra/deps.sh accepted")
    bad = yaml.safe_load(ctext)
    bad["services"]["drgate"]["environment"]["AWS_ENDPOINT_URL_RDS"] = "http://moto:5000"
    del bad["services"]["moto"]["healthcheck"]
    probs = compose_problems(bad)
    check(any("AWS_ENDPOINT_URL_RDS" in m for m in probs), "self-check: RDS endpoint at moto accepted")
    check(any("moto has no healthcheck" in m for m in probs), "self-check: missing healthcheck accepted")

    with tempfile.TemporaryDirectory() as tmp:
        seed_and_validate(src, binary, tmp)

    if FAILS:
        for m in FAILS:
            print("FAIL: " + m)
        return 1
    print("deploy_containers: Dockerfile, compose.yaml, seed run and self-checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
