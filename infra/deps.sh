#!/usr/bin/env bash
# Installs drgate's build and test dependencies from Debian 12 packages.
# One list for the quickstart, .ci/run and the container build.
# Usage: infra/deps.sh [--runtime]   (--runtime: only what the binary needs)
set -euo pipefail

BUILD_PKGS=(build-essential python3-prometheus-client cmake pkg-config clang libclang-rt-14-dev
  clang-format clang-tidy valgrind
  libcurl4-openssl-dev libssl-dev libcjson-dev librdkafka-dev libevent-dev
  libsqlite3-dev libexpat1-dev check libsubunit-dev
  kcat openssl python3 ca-certificates sqlite3 iproute2)
RUNTIME_PKGS=(libcurl4 libssl3 libcjson1 librdkafka1 libevent-2.1-7
  libevent-core-2.1-7 libevent-pthreads-2.1-7 libsqlite3-0 libexpat1
  ca-certificates)

pkgs=("${BUILD_PKGS[@]}")
if [ "${1:-}" = "--runtime" ]; then
  pkgs=("${RUNTIME_PKGS[@]}")
fi

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#pkgs[@]} packages present"
  exit 0
fi
echo "deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"

# python3 with boto3/botocore/moto is expected on the machine for the
# sandbox and conformance tests (PyPI is not reachable here).
if ! python3 -c 'import boto3, botocore, moto' 2>/dev/null; then
  echo "deps: warning: python3 lacks boto3/botocore/moto; sandbox tests will fail" >&2
fi
