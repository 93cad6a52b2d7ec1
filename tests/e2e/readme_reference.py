#!/usr/bin/env python3
"""Checks (or with --write, updates) the configuration reference in
README.md against `drgate config-reference`.

Usage: readme_reference.py DRGATE [--write]
"""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BEGIN, END = "<!-- BEGIN config-reference -->", "<!-- END config-reference -->"


def main():
    drgate = sys.argv[1]
    ref = subprocess.run([drgate, "config-reference"], check=True,
                         capture_output=True, text=True).stdout
    path = os.path.join(ROOT, "README.md")
    text = open(path).read()
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    want = head + BEGIN + "\n" + ref.rstrip("\n") + "\n" + END + tail
    if "--write" in sys.argv:
        open(path, "w").write(want)
        print("README.md updated")
        return 0
    if want != text:
        print("README.md's configuration reference differs from "
              "`drgate config-reference`; run tests/e2e/readme_reference.py "
              "build/drgate --write")
        print("1 passed, 1 failed")
        return 1
    print("1 passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
