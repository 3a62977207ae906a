"""``carenet backup`` / ``carenet restore``: a round trip loses nothing, a damaged archive
changes nothing, and the copy is consistent while others write.

The round trip runs on the database of the pass: SQLite (online backup API) in the SQLite
pass and PostgreSQL (pg_dump/pg_restore into the test database) in the PostgreSQL pass.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import threading
import zipfile
from pathlib import Path

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from PIL import Image

from carenet.care.models import CareKind
from carenet.care.services import record_create
from carenet.cli import main
from carenet.ops import backup as ops
from tests.factories import user_add, world_build


def _png(name: str = "visit.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def _populate(media_root: Path) -> None:
    world = world_build()
    record_create(
        actor=world.users["teacher"],
        child=world.own_child,
        kind=CareKind.HOME_VISIT,
        date=dt.date(2026, 3, 2),
        summary="家访：孩子在爷爷家生活正常",
        photos=[_png()],
    )
    extra = media_root / "uploads" / "名册 2026.xlsx"
    extra.parent.mkdir(parents=True, exist_ok=True)
    extra.write_bytes(b"not really a spreadsheet \x00\x01")


def _data_fingerprint() -> dict[str, tuple[int, str]]:
    """Row count and a checksum of the content of every table (via the models)."""
    result: dict[str, tuple[int, str]] = {}
    for model in apps.get_models():
        rows = list(model._base_manager.order_by("pk").values_list())
        digest = hashlib.sha256(repr(rows).encode("utf-8")).hexdigest()
        result[model._meta.label] = (len(rows), digest)
    return result


def _media_fingerprint(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def _wipe(media_root: Path) -> None:
    call_command("flush", interactive=False, verbosity=0)
    shutil.rmtree(media_root)
    media_root.mkdir()


@pytest.fixture
def media_root(settings, tmp_path) -> Path:
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = root
    return root


def _check_manifest(archive: Path) -> None:
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.loads(tar.extractfile("manifest.json").read())
        for name, entry in manifest["members"].items():
            assert hashlib.sha256(tar.extractfile(name).read()).hexdigest() == entry["sha256"]
    assert manifest["format"] == "carenet-backup" and manifest["version"] == 1
    assert manifest["database"]["engine"] == connection.vendor
    assert manifest["created_at"]
    assert set(names) - {"manifest.json"} == set(manifest["members"])
    assert not any(name.startswith("keys/") for name in names)  # keys only when asked


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("suffix", [".tar.gz", ".zip"])
def test_backup_wipe_restore_gives_back_the_same_data_and_files(
    media_root, tmp_path, capsys, suffix
):
    _populate(media_root)
    data_before, media_before = _data_fingerprint(), _media_fingerprint(media_root)
    assert data_before["children.Child"][0] == 5
    assert any(name.startswith("care/") for name in media_before)
    archive = tmp_path / f"carenet-backup{suffix}"

    assert main(["backup", str(archive)]) == 0
    out, err = capsys.readouterr()
    assert "backup written" in out and "CARENET_FIELD_KEY" in err  # the keys reminder
    if suffix == ".tar.gz":
        _check_manifest(archive)

    _wipe(media_root)
    assert _data_fingerprint()["children.Child"][0] == 0
    assert main(["restore", str(archive)]) == 0
    assert "restored" in capsys.readouterr().out

    assert _data_fingerprint() == data_before
    assert _media_fingerprint(media_root) == media_before


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_database_in_use_unless_forced(media_root, tmp_path, capsys):
    _populate(media_root)
    archive = tmp_path / "b.tar.gz"
    assert main(["backup", str(archive)]) == 0
    before = _data_fingerprint()
    capsys.readouterr()

    assert main(["restore", str(archive)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--force" in err
    assert _data_fingerprint() == before

    assert main(["restore", str(archive), "--force"]) == 0
    assert _data_fingerprint() == before


def _rewrite(archive: Path, target: Path, change) -> None:
    """Copy a tar.gz archive member by member, letting ``change(name, data)`` alter it."""
    with tarfile.open(archive) as src, tarfile.open(target, "w:gz") as dst:
        for info in src:
            data = change(info.name, src.extractfile(info).read())
            if data is None:
                continue
            info.size = len(data)
            dst.addfile(info, io.BytesIO(data))


def _flip_a_byte(name: str, data: bytes) -> bytes:
    if name == "database.sqlite3" or name == "database.pgdump":
        middle = len(data) // 2
        return data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :]
    return data


def _escaping(archive: Path, bad: Path) -> None:
    """A member outside the archive folders, listed in the manifest with its checksum."""
    with tarfile.open(archive) as src, tarfile.open(bad, "w:gz") as dst:
        for member in src:
            data = src.extractfile(member).read()
            if member.name == "manifest.json":
                manifest = json.loads(data)
                digest = hashlib.sha256(b"x").hexdigest()
                manifest["members"]["../escape.txt"] = {"sha256": digest, "size": 1}
                data = json.dumps(manifest).encode()
                info = tarfile.TarInfo("../escape.txt")
                info.size = 1
                dst.addfile(info, io.BytesIO(b"x"))
            member.size = len(data)
            dst.addfile(member, io.BytesIO(data))


def _extra_member(archive: Path, bad: Path) -> None:
    with tarfile.open(archive) as src, tarfile.open(bad, "w:gz") as dst:
        info = tarfile.TarInfo("media/evil.txt")
        info.size = 4
        dst.addfile(info, io.BytesIO(b"evil"))
        for member in src:
            dst.addfile(member, src.extractfile(member))


DAMAGES = {
    "flipped byte": lambda a, b: _rewrite(a, b, _flip_a_byte),
    "missing member": lambda a, b: _rewrite(
        a, b, lambda n, d: None if n.startswith("media/") else d
    ),
    "extra member": _extra_member,
    "unsafe path": _escaping,
    "truncated": lambda a, b: b.write_bytes(a.read_bytes()[: a.stat().st_size // 2]),
    "not an archive": lambda a, b: b.write_bytes(b"PK\x03\x04 definitely not a backup"),
}


@pytest.mark.django_db(transaction=True)
def test_a_damaged_archive_is_refused_and_nothing_changes(media_root, tmp_path, capsys):
    (media_root / "photo.jpg").write_bytes(b"\xff\xd8 a photo")
    archive = tmp_path / "b.tar.gz"
    assert main(["backup", str(archive)]) == 0
    (media_root / "photo.jpg").unlink()
    (media_root / "kept.txt").write_text("still here")
    user_add("still_here")
    before = _data_fingerprint()
    capsys.readouterr()
    for damage, make in DAMAGES.items():
        bad = tmp_path / f"bad-{damage.replace(' ', '-')}.tar.gz"
        make(archive, bad)

        assert main(["restore", str(bad), "--force"]) == 2, damage
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and err.startswith("carenet: "), (damage, err)
        assert _data_fingerprint() == before, damage
        assert _media_fingerprint(media_root) == {
            "kept.txt": hashlib.sha256(b"still here").hexdigest()
        }, damage
        assert not (tmp_path / "escape.txt").exists()


@pytest.mark.django_db(transaction=True)
def test_keys_are_archived_only_when_asked_and_restored_into_the_home(
    media_root, tmp_path, settings, capsys
):
    archive = tmp_path / "b.zip"
    assert main(["backup", str(archive), "--include-keys"]) == 0
    assert "warning" in capsys.readouterr().err
    with zipfile.ZipFile(archive) as zf:
        assert zf.read("keys/field_key").decode() == settings.FIELD_KEY
        assert json.loads(zf.read("manifest.json"))["includes_keys"] is True

    home = tmp_path / "home"
    home.mkdir()
    settings.CARENET_HOME = home
    _wipe(media_root)
    assert main(["restore", str(archive)]) == 0
    assert (home / "field_key").read_text() == settings.FIELD_KEY
    assert (home / "field_key").stat().st_mode & 0o777 == 0o600


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_data_encrypted_with_another_field_key(
    media_root, tmp_path, settings, capsys, monkeypatch
):
    monkeypatch.delenv("CARENET_FIELD_KEY", raising=False)
    monkeypatch.delenv("CARENET_FIELD_KEY_FILE", raising=False)
    _populate(media_root)
    archive = tmp_path / "b.tar.gz"
    assert main(["backup", str(archive)]) == 0
    _wipe(media_root)
    settings.FIELD_KEY = "another-key-" + "x" * 40
    capsys.readouterr()
    assert main(["restore", str(archive)]) == 2
    assert "CARENET_FIELD_KEY" in capsys.readouterr().err
    assert _data_fingerprint()["children.Child"][0] == 0


@pytest.mark.django_db
def test_backup_needs_an_archive_name_it_knows(tmp_path, capsys):
    assert main(["backup", str(tmp_path / "b.rar")]) == 2
    assert ".tar.gz" in capsys.readouterr().err
    assert main(["backup", str(tmp_path / "nowhere" / "b.tar.gz")]) == 2
    assert main(["restore", str(tmp_path / "missing.tar.gz")]) == 2


@pytest.mark.parametrize("command", ["backup", "restore"])
def test_backup_and_restore_have_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    assert "usage: carenet" in capsys.readouterr().out


def test_a_missing_pg_dump_is_one_clear_error(monkeypatch):
    monkeypatch.setattr(ops.shutil, "which", lambda name: None)
    monkeypatch.setattr(ops.glob, "glob", lambda pattern: [])
    with pytest.raises(ops.BackupError, match="pg_dump not found"):
        ops._pg_binary("pg_dump")


def test_the_sqlite_copy_is_consistent_while_another_thread_writes(tmp_path):
    """Each transaction of the writer adds a row to ``item`` and bumps ``total``; every
    copy taken meanwhile passes integrity_check and keeps the two in step."""
    source_path = tmp_path / "live.sqlite3"
    with contextlib.closing(sqlite3.connect(source_path)) as setup:
        setup.execute("PRAGMA journal_mode=WAL")
        setup.execute("CREATE TABLE item (id INTEGER PRIMARY KEY, payload TEXT)")
        setup.execute("CREATE TABLE total (n INTEGER)")
        setup.execute("INSERT INTO total VALUES (0)")
        setup.commit()
    stop = threading.Event()
    written = []

    def writer() -> None:
        conn = sqlite3.connect(source_path, timeout=20, isolation_level=None)
        try:
            while not stop.is_set():
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("INSERT INTO item (payload) VALUES (?)", ("数据" * 200,))
                conn.execute("UPDATE total SET n = n + 1")
                conn.execute("COMMIT")
                written.append(1)
        finally:
            conn.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        copies = []
        for number in range(6):
            while len(written) < (number + 1) * 50:
                stop.wait(0.005)
            target = tmp_path / f"copy-{number}.sqlite3"
            with contextlib.closing(sqlite3.connect(source_path, timeout=20)) as source:
                ops.sqlite_snapshot(source, target)
            copies.append(target)
    finally:
        stop.set()
        thread.join(timeout=30)
    for target in copies:
        with contextlib.closing(sqlite3.connect(target)) as copy:
            assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            items = copy.execute("SELECT count(*) FROM item").fetchone()[0]
            assert copy.execute("SELECT n FROM total").fetchone()[0] == items > 0
            assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"


def _cli(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return subprocess.run(
        [sys.executable, "-m", "carenet.cli", *args],
        capture_output=True,
        text=True,
        env={**env, "CARENET_HOME": str(home)},
        timeout=300,
    )


def _repage(database: Path, size: int) -> None:
    with contextlib.closing(sqlite3.connect(database, isolation_level=None)) as conn:
        conn.execute("PRAGMA journal_mode=DELETE")
        conn.execute(f"PRAGMA page_size={size}")
        conn.execute("VACUUM")
        conn.execute("PRAGMA journal_mode=WAL")
        assert conn.execute("PRAGMA page_size").fetchone()[0] == size


@pytest.mark.slow
@pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="SQLite files only")
def test_a_backup_restores_into_a_database_with_another_page_size(tmp_path):
    old_home, new_home = tmp_path / "old", tmp_path / "new"
    key = "k" * 48
    for home in (old_home, new_home):
        home.mkdir()
        (home / "field_key").write_text(key)
        assert _cli(home, "manage", "migrate", "-v", "0").returncode == 0
    # The old database made with 4 KiB pages, holding one user; the new one has 8 KiB pages.
    made = _cli(old_home, "manage", "shell", "-c", _MAKE_USER)
    assert made.returncode == 0, made.stderr
    _repage(old_home / "carenet.sqlite3", 4096)
    archive = tmp_path / "old.tar.gz"
    assert _cli(old_home, "backup", str(archive)).returncode == 0

    restored = _cli(new_home, "restore", str(archive), "--force")
    assert restored.returncode == 0, restored.stderr
    assert "Traceback" not in restored.stderr
    with contextlib.closing(sqlite3.connect(new_home / "carenet.sqlite3")) as conn:
        assert conn.execute("PRAGMA page_size").fetchone()[0] == 8192
        users = conn.execute("SELECT username FROM auth_user").fetchall()
        assert users == [("restored_user",)]
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


_MAKE_USER = (
    "from django.contrib.auth.models import User; User.objects.create(username='restored_user')"
)
