"""A helper process dies with its parent, even one killed by SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# An import-like Split whose parent never reads: the helper fills the pipe and waits.
SCRIPT = """
import os, sys, time
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carenet.settings")
import django
django.setup()
from carenet.lib.parallel import Split, helper_available
if not helper_available():
    print("none", flush=True)
    sys.exit(0)
split = Split(lambda index: b"x" * 100_000, 10_000)
print(split._process.pid, flush=True)
time.sleep(600)
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(") ", 1)[1][0] != "Z"  # a zombie has ended
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_the_helper_is_gone_soon_after_its_parent_is_killed(tmp_path):
    env = {**os.environ, "CARENET_HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    parent = subprocess.Popen(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        line = parent.stdout.readline().strip()
        if line == "none":
            pytest.skip("no helper on this machine (one CPU)")
        helper = int(line)
        time.sleep(1)  # the helper has filled the pipe and waits on it
        assert _alive(helper)
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=10)
        deadline = time.monotonic() + 5
        while _alive(helper) and time.monotonic() < deadline:
            time.sleep(0.1)
        alive = _alive(helper)
        if alive:
            os.kill(helper, signal.SIGKILL)
        assert not alive, "the helper outlived its killed parent"
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
