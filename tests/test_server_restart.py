"""``carenet serve`` killed with SIGKILL starts again cleanly: /healthz answers, a row the
server wrote just before the kill is there (SQLite WAL recovery), and no process of the
killed server (gunicorn workers, the queue worker) is left behind.

Slow (two server starts in subprocesses, about half a minute) but part of every run.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

PASSWORD = "Restart-pass-2026"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "CARENET_"))}
    env.update(CARENET_HOME=str(home), DJANGO_SUPERUSER_PASSWORD=PASSWORD)
    return env


def _carenet(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "carenet.cli", *args],
        env=env,
        check=True,
        capture_output=True,
        timeout=180,
    )


def _request(url: str, *, data: dict | None = None, token: str | None = None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    body = json.dumps(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _start(env: dict[str, str], port: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "carenet.cli", "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: gunicorn, workers, queue worker
    )


def _wait_healthy(server: subprocess.Popen, port: int, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert server.poll() is None, "the server exited while starting"
        try:
            status, body = _request(f"http://127.0.0.1:{port}/healthz")
            if status == 200 and body == b"ok":
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise AssertionError("the server did not answer /healthz in time")


def _group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes of a process group, read from /proc."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        state, pgrp = fields[0], int(fields[2])
        if pgrp == pgid and state != "Z":
            members.append(int(entry.name))
    return members


def _kill_group(server: subprocess.Popen) -> None:
    with_pgid = server.pid
    try:
        os.killpg(with_pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    server.wait(timeout=30)
    deadline = time.monotonic() + 20
    while _group_members(with_pgid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _group_members(with_pgid) == [], "processes of the killed server remain"


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc (Linux)")
def test_the_server_comes_back_after_a_kill_with_its_data(tmp_path):
    env = _env(tmp_path / "home")
    _carenet(env, "manage", "migrate", "--verbosity", "0")
    _carenet(env, "manage", "createsuperuser", "--noinput", "--username", "root", "--email", "")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"

    server = _start(env, port)
    try:
        _wait_healthy(server, port)
        status, body = _request(
            f"{base}/api/v1/auth/token", data={"username": "root", "password": PASSWORD}
        )
        assert status == 200, body
        token = json.loads(body)["token"]  # a row the server itself wrote
        assert _request(f"{base}/api/v1/orgs", token=token)[0] == 200
    finally:
        _kill_group(server)

    server = _start(env, port)
    try:
        _wait_healthy(server, port)
        status, body = _request(f"{base}/api/v1/orgs", token=token)
        assert status == 200, body  # the token written before the kill is still there
    finally:
        _kill_group(server)

    database = tmp_path / "home" / "carenet.sqlite3"
    check = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]);"
            "print(c.execute('PRAGMA integrity_check').fetchone()[0])",
            str(database),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.stdout.strip() == "ok"
