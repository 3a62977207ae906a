"""No full ID number or phone anywhere in the data folder outside encrypted storage, after a
web import (one committed, one waiting), a view of a file and its edit page, masked exports
and a backup: every file under CARENET_HOME is read, archives unpacked, SQLite databases
and their WAL included, as an attacker with a copy of the folder would."""

from __future__ import annotations

import gzip
import io
import json
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _contents(path: Path) -> list[tuple[str, bytes]]:
    """A file's bytes, and those of every member if it is an archive (nested too)."""
    data = path.read_bytes()
    return [(str(path), data), *_members(str(path), data)]


def _members(name: str, data: bytes) -> list[tuple[str, bytes]]:
    found: list[tuple[str, bytes]] = []
    if data[:2] == b"\x1f\x8b":
        try:
            inner = gzip.decompress(data)
        except OSError:
            return found
        found.append((f"{name}!gunzip", inner))
        try:
            with tarfile.open(fileobj=io.BytesIO(inner)) as tar:
                for member in tar:
                    if member.isfile():
                        body = tar.extractfile(member).read()
                        found += [(f"{name}!{member.name}", body)]
                        found += _members(f"{name}!{member.name}", body)
        except tarfile.TarError:
            pass
    elif data[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in archive.infolist():
                body = archive.read(info)
                found += [(f"{name}!{info.filename}", body), *_members(info.filename, body)]
    return found


@pytest.mark.slow
def test_no_id_number_or_phone_is_left_in_clear_under_carenet_home(tmp_path):
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(CARENET_HOME=str(home), CARENET_ALLOWED_HOSTS="testserver")
    run = subprocess.run(
        [sys.executable, "-m", "tests.privacy_scan_scenario"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    secrets = json.loads(run.stdout.strip().splitlines()[-1])
    assert len(secrets) >= 6
    leaks = []
    files = [p for p in home.rglob("*") if p.is_file()]
    assert any(p.name == "backup.tar.gz" for p in files)
    for path in files:
        for name, data in _contents(path):
            for secret in secrets:
                for form in {secret.encode(), secret.encode("utf-16-le")}:
                    if form in data:
                        leaks.append(f"{name}: {secret[:3]}…")
    assert not leaks, leaks
