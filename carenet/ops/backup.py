"""``carenet backup OUT`` / ``carenet restore IN``: one archive with the database and files.

The archive (``.tar.gz``, ``.tgz`` or ``.zip``) holds:

- ``database.sqlite3`` — a consistent copy made with SQLite's online backup API (a
  snapshot, even while the server writes), or ``database.pgdump`` — ``pg_dump
  --format=custom`` of the PostgreSQL database;
- ``media/…`` — the uploaded files (care record photos and other uploads), never
  ``media/imports/``: a register being imported (encrypted, kept only while its import
  needs it) is not worth keeping and must not outlive its import in a backup;
- ``keys/field_key`` and ``keys/secret_key`` — only with ``--include-keys``;
- ``manifest.json`` — format version, creation time, database engine, a fingerprint of
  the field key (never the key) and the SHA-256 and size of every other member.

Restore checks every checksum before it changes anything, refuses a database that already
holds data unless forced, and replaces the database in one transaction (SQLite: the
backup API writing into the live database; PostgreSQL: ``pg_restore
--single-transaction``), then swaps the media folder by renames.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import glob
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

FORMAT = "carenet-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite3"
PG_MEMBER = "database.pgdump"
MEDIA_PREFIX = "media/"
KEY_MEMBERS = {"keys/field_key": "FIELD_KEY", "keys/secret_key": "SECRET_KEY"}
KEY_FILES = {"keys/field_key": "field_key", "keys/secret_key": "secret_key"}
SUFFIXES = (".tar.gz", ".tgz", ".zip")
_CHUNK = 1 << 20
# Tables that ``migrate`` fills by itself: rows there do not make a database "in use".
_MIGRATE_TABLES = {
    "django_migrations",
    "django_content_type",
    "auth_permission",
    "sqlite_sequence",
}


class BackupError(Exception):
    """An unusable archive or a refused restore: one line for the operator (exit 2)."""


@dataclass
class BackupResult:
    path: Path
    engine: str
    size: int
    media_files: int
    includes_keys: bool


@dataclass
class RestoreResult:
    engine: str
    media_files: int
    created_at: str
    keys_restored: bool
    warnings: list[str] = field(default_factory=list)


# --- helpers -------------------------------------------------------------------------------


def key_fingerprint(key: str) -> str:
    """A short fingerprint that tells keys apart without revealing them."""
    return hashlib.sha256(b"carenet-key-fingerprint:" + key.encode("utf-8")).hexdigest()[:16]


def _engine() -> str:
    from django.db import connection

    vendor = connection.vendor
    if vendor not in ("sqlite", "postgresql"):
        raise BackupError(f"backup of a {vendor} database is not supported")
    return vendor


def _check_suffix(path: Path) -> None:
    if not path.name.lower().endswith(SUFFIXES):
        raise BackupError(f"{path}: the archive name must end with .tar.gz, .tgz or .zip")


def _is_zip(path: Path) -> bool:
    return path.name.lower().endswith(".zip")


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("carenet")
    except Exception:  # noqa: BLE001 - not installed as a distribution
        return "unknown"


def _safe_member(name: str) -> str:
    """Refuse absolute paths, ``..`` and anything outside the known members."""
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or "\\" in name or not name:
        raise BackupError(f"the archive holds an unsafe path: {name!r}")
    if not (
        name in (MANIFEST, SQLITE_MEMBER, PG_MEMBER)
        or name in KEY_MEMBERS
        or (name.startswith(MEDIA_PREFIX) and len(name) > len(MEDIA_PREFIX))
    ):
        raise BackupError(f"the archive holds an unexpected member: {name!r}")
    return name


class _HashingReader:
    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.sha = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.sha.update(data)
        self.size += len(data)
        return data


# --- archive writing and reading -----------------------------------------------------------


class _Writer:
    def __init__(self, path: Path, *, as_zip: bool) -> None:
        self.members: dict[str, dict[str, Any]] = {}
        if as_zip:
            self._zip: zipfile.ZipFile | None = zipfile.ZipFile(
                path, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True
            )
            self._tar: tarfile.TarFile | None = None
        else:
            self._zip = None
            self._tar = tarfile.open(path, "w:gz", format=tarfile.PAX_FORMAT)

    def add_file(self, name: str, source: Path) -> None:
        with source.open("rb") as handle:
            reader = _HashingReader(handle)
            if self._tar is not None:
                info = tarfile.TarInfo(name)
                info.size = os.fstat(handle.fileno()).st_size
                info.mtime = int(os.fstat(handle.fileno()).st_mtime)
                info.mode = 0o600
                self._tar.addfile(info, reader)
            else:
                assert self._zip is not None
                with self._zip.open(name, "w", force_zip64=True) as out:
                    while chunk := reader.read(_CHUNK):
                        out.write(chunk)
        self.members[name] = {"sha256": reader.sha.hexdigest(), "size": reader.size}

    def add_bytes(self, name: str, data: bytes, *, record: bool = True) -> None:
        if self._tar is not None:
            import io

            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = int(dt.datetime.now().timestamp())
            info.mode = 0o600
            self._tar.addfile(info, io.BytesIO(data))
        else:
            assert self._zip is not None
            self._zip.writestr(name, data)
        if record:
            self.members[name] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}

    def close(self) -> None:
        if self._tar is not None:
            self._tar.close()
        if self._zip is not None:
            self._zip.close()


@contextlib.contextmanager
def _opened(path: Path) -> Iterator[_Reader]:
    try:
        reader = _Reader(path)
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, zlib.error) as exc:
        raise BackupError(f"{path}: not a CareNet backup archive or damaged ({exc})") from None
    try:
        yield reader
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, zlib.error) as exc:
        raise BackupError(f"{path}: the archive is damaged ({exc})") from None
    finally:
        reader.close()


class _Reader:
    def __init__(self, path: Path) -> None:
        self.path = path
        if _is_zip(path):
            self._zip: zipfile.ZipFile | None = zipfile.ZipFile(path)
            self._tar: tarfile.TarFile | None = None
        else:
            self._zip = None
            self._tar = tarfile.open(path, "r:gz")

    def close(self) -> None:
        if self._tar is not None:
            self._tar.close()
        if self._zip is not None:
            self._zip.close()

    def members(self) -> Iterator[tuple[str, IO[bytes]]]:
        """Every member as (name, stream), in archive order; only regular files."""
        if self._tar is not None:
            for info in self._tar:
                if not info.isfile():
                    raise BackupError(f"the archive holds a non-file member: {info.name!r}")
                stream = self._tar.extractfile(info)
                assert stream is not None
                yield info.name, stream
        else:
            assert self._zip is not None
            for zinfo in self._zip.infolist():
                if zinfo.is_dir():
                    raise BackupError(f"the archive holds a folder member: {zinfo.filename!r}")
                with self._zip.open(zinfo) as stream:
                    yield zinfo.filename, stream

    def read_manifest(self) -> dict[str, Any]:
        for name, stream in self.members():
            if name == MANIFEST:
                try:
                    manifest = json.loads(stream.read().decode("utf-8"))
                except (ValueError, UnicodeDecodeError):
                    raise BackupError(f"{self.path}: the manifest is damaged") from None
                break
        else:
            raise BackupError(f"{self.path}: not a CareNet backup (no {MANIFEST})")
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise BackupError(f"{self.path}: not a CareNet backup (unknown manifest)")
        if manifest.get("version") != FORMAT_VERSION:
            raise BackupError(
                f"{self.path}: backup format version {manifest.get('version')!r} is not "
                f"supported (this CareNet reads version {FORMAT_VERSION})"
            )
        if not isinstance(manifest.get("members"), dict):
            raise BackupError(f"{self.path}: the manifest lists no members")
        return manifest


def _verify(path: Path, manifest: dict[str, Any], *, extract_to: Path | None = None) -> None:
    """Check every member against the manifest; with ``extract_to`` also write them there."""
    expected: dict[str, dict[str, Any]] = manifest["members"]
    seen: set[str] = set()
    with _opened(path) as reader:
        for name, stream in reader.members():
            if name == MANIFEST:
                continue
            _safe_member(name)
            if name in seen:
                raise BackupError(f"{path}: the member {name} appears twice")
            if name not in expected:
                raise BackupError(f"{path}: the member {name} is not in the manifest")
            seen.add(name)
            hashing = _HashingReader(stream)
            if extract_to is None:
                while hashing.read(_CHUNK):
                    pass
            else:
                target = extract_to / name
                target.parent.mkdir(parents=True, exist_ok=True)
                with target.open("wb") as out:
                    while chunk := hashing.read(_CHUNK):
                        out.write(chunk)
            entry = expected[name]
            if hashing.sha.hexdigest() != entry.get("sha256") or hashing.size != entry.get("size"):
                raise BackupError(f"{path}: checksum mismatch for {name}: the archive is damaged")
    missing = sorted(set(expected) - seen)
    if missing:
        raise BackupError(f"{path}: the archive lacks {missing[0]}: it is incomplete")


# --- databases -----------------------------------------------------------------------------


def _sqlite_integrity(path: Path) -> None:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        result = conn.execute("PRAGMA integrity_check").fetchone()[0]
    if result != "ok":
        raise BackupError(f"the database copy fails its integrity check: {result}")


def sqlite_snapshot(source: sqlite3.Connection, target: Path) -> None:
    """A consistent copy of ``source`` into the new file ``target`` (online backup API:
    one step, so the copy is one snapshot even while other connections write)."""
    with contextlib.closing(sqlite3.connect(target)) as dest:
        source.backup(dest)
        # A self-contained file: no WAL beside it.
        dest.execute("PRAGMA journal_mode=DELETE")
    _sqlite_integrity(target)


def _page_size(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA page_size").fetchone()[0])


def _match_page_size(copy: sqlite3.Connection, live: sqlite3.Connection) -> None:
    """Give the staged copy the live database's page size: SQLite cannot copy pages of
    another size into a database in WAL mode, and a backup may come from a database made
    with other pages (older CareNet made 4 KiB ones). VACUUM rewrites the copy, not the
    live database."""
    size = _page_size(live)
    if _page_size(copy) == size:
        return
    copy.execute("PRAGMA journal_mode=DELETE")  # the page size cannot change in WAL mode
    copy.execute(f"PRAGMA page_size={size}")
    copy.execute("VACUUM")
    if _page_size(copy) != size:
        raise BackupError(f"the database copy cannot take the live page size ({size} bytes)")


def _django_sqlite() -> sqlite3.Connection:
    from django.db import connection

    if connection.in_atomic_block:
        raise BackupError("backup/restore cannot run inside a transaction")
    connection.ensure_connection()
    return connection.connection


def _pg_binary(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if candidates:
        return candidates[-1]
    raise BackupError(
        f"{name} not found: install the PostgreSQL client tools (e.g. apt install "
        f"postgresql-client) or put {name} on PATH"
    )


def _pg_env() -> tuple[dict[str, str], str]:
    from django.db import connection

    conf = connection.settings_dict
    env = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER")):
        if conf.get(key):
            env[var] = str(conf[key])
    if conf.get("PASSWORD"):
        env["PGPASSWORD"] = str(conf["PASSWORD"])
    sslmode = (conf.get("OPTIONS") or {}).get("sslmode")
    if sslmode:
        env["PGSSLMODE"] = str(sslmode)
    return env, str(conf["NAME"])


def _run_pg(args: list[str], env: dict[str, str], what: str) -> None:
    try:
        result = subprocess.run(args, env=env, capture_output=True, text=True, timeout=3600)
    except OSError as exc:
        raise BackupError(f"{what} could not start: {exc}") from None
    if result.returncode != 0:
        lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
        raise BackupError(
            f"{what} failed: {lines[-1] if lines else 'exit ' + str(result.returncode)}"
        )


def _pg_dump(target: Path) -> None:
    env, name = _pg_env()
    args = [_pg_binary("pg_dump"), "--format=custom", "--no-owner", "--no-privileges"]
    _run_pg([*args, f"--file={target}", name], env, "pg_dump")


def _pg_restore(source: Path) -> None:
    from django.db import connections

    env, name = _pg_env()
    connections.close_all()
    args = [
        _pg_binary("pg_restore"),
        "--clean",
        "--if-exists",
        "--no-owner",
        "--no-privileges",
        "--single-transaction",
        "--exit-on-error",
        f"--dbname={name}",
        str(source),
    ]
    _run_pg(args, env, "pg_restore")


def database_in_use() -> bool:
    """True when any table holds rows beyond what ``migrate`` puts there by itself (kept
    counts and their versions are derived, not data)."""
    from django.db import connection

    from carenet.indicators.kept import kept_tables

    derived = kept_tables()  # counts kept from the data, and their versions
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            if table in _MIGRATE_TABLES or table in derived:
                continue
            cursor.execute(f"SELECT 1 FROM {connection.ops.quote_name(table)} LIMIT 1")
            if cursor.fetchone() is not None:
                return True
    return False


# --- media ---------------------------------------------------------------------------------


# Folders of MEDIA_ROOT a backup never takes (carenet.exchange.uploads.UPLOAD_FOLDER).
EXCLUDED_MEDIA = ("imports",)


def _media_files(root: Path) -> list[tuple[str, Path]]:
    if not root.is_dir():
        return []
    files: list[tuple[str, Path]] = []
    for dirpath, dirnames, filenames in os.walk(root):
        if Path(dirpath) == root:
            dirnames[:] = [d for d in dirnames if d not in EXCLUDED_MEDIA]
        dirnames.sort()
        for filename in sorted(filenames):
            path = Path(dirpath) / filename
            if path.is_symlink() or not path.is_file():
                continue
            files.append((MEDIA_PREFIX + path.relative_to(root).as_posix(), path))
    return files


def _swap_folder(new: Path, target: Path) -> None:
    """Put ``new`` in place of ``target`` by renames (same file system)."""
    old = target.with_name(f".{target.name}.before-restore")
    if old.exists():
        shutil.rmtree(old)
    if target.exists():
        os.replace(target, old)
    os.replace(new, target)
    if old.exists():
        shutil.rmtree(old, ignore_errors=True)


# --- the two operations --------------------------------------------------------------------


def backup_create(out: Path, *, include_keys: bool = False) -> BackupResult:
    """Write the archive ``out`` (replaced atomically if it exists)."""
    from django.conf import settings

    out = Path(out)
    _check_suffix(out)
    if not out.parent.is_dir():
        raise BackupError(f"{out.parent}: no such folder")
    engine = _engine()
    media_root = Path(settings.MEDIA_ROOT)
    with tempfile.TemporaryDirectory(prefix="carenet-backup-") as scratch:
        scratch_dir = Path(scratch)
        # The database first: media files a row points to were written before the row.
        if engine == "sqlite":
            db_member = SQLITE_MEMBER
            db_copy = scratch_dir / SQLITE_MEMBER
            sqlite_snapshot(_django_sqlite(), db_copy)
        else:
            db_member = PG_MEMBER
            db_copy = scratch_dir / PG_MEMBER
            _pg_dump(db_copy)
        partial = out.with_name(f".{out.name}.partial")
        try:
            writer = _Writer(partial, as_zip=_is_zip(out))
            try:
                writer.add_file(db_member, db_copy)
                media = _media_files(media_root)
                for name, path in media:
                    writer.add_file(name, path)
                if include_keys:
                    for name, setting in KEY_MEMBERS.items():
                        writer.add_bytes(name, str(getattr(settings, setting)).encode("utf-8"))
                manifest = {
                    "format": FORMAT,
                    "version": FORMAT_VERSION,
                    "carenet_version": _version(),
                    "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                    "database": {"engine": engine, "member": db_member},
                    "field_key_fingerprint": key_fingerprint(settings.FIELD_KEY),
                    "includes_keys": include_keys,
                    "media_files": len(media),
                    "members": writer.members,
                }
                writer.add_bytes(
                    MANIFEST,
                    json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8"),
                    record=False,
                )
            finally:
                writer.close()
            os.chmod(partial, 0o600)
            os.replace(partial, out)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    return BackupResult(
        path=out,
        engine=engine,
        size=out.stat().st_size,
        media_files=len(media),
        includes_keys=include_keys,
    )


def backup_verify(path: Path) -> dict[str, Any]:
    """The manifest of a sound archive; ``BackupError`` for anything wrong with it."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    with _opened(path) as reader:
        manifest = reader.read_manifest()
    for name in manifest["members"]:
        _safe_member(str(name))
    _verify(path, manifest)
    return manifest


def _field_key_after_restore(manifest: dict[str, Any], staged: Path) -> str:
    from django.conf import settings

    from carenet.lib.env import env_str

    archived = staged / "keys/field_key"
    if archived.is_file() and not env_str("CARENET_FIELD_KEY"):
        return archived.read_text(encoding="utf-8").strip()  # the restored key file
    return settings.FIELD_KEY  # the key in use (the environment wins over a key file)


def backup_restore(path: Path, *, force: bool = False) -> RestoreResult:
    """Verify ``path`` completely, then replace the database and the media folder."""
    from django.conf import settings
    from django.contrib.contenttypes.models import ContentType

    path = Path(path)
    manifest = backup_verify(path)
    engine = _engine()
    archived_engine = manifest.get("database", {}).get("engine")
    db_member = manifest.get("database", {}).get("member")
    if archived_engine != engine or db_member not in manifest["members"]:
        raise BackupError(
            f"{path}: a backup of a {archived_engine} database cannot be restored into "
            f"this {engine} database"
        )
    if not force and database_in_use():
        raise BackupError(
            "the database already holds data: restore refuses to overwrite it "
            "(pass --force to replace it)"
        )
    media_root = Path(settings.MEDIA_ROOT)
    media_root.parent.mkdir(parents=True, exist_ok=True)
    warnings: list[str] = []
    staging = Path(tempfile.mkdtemp(prefix=f".{media_root.name}.restore-", dir=media_root.parent))
    try:
        _verify(path, manifest, extract_to=staging)  # checked again while written out
        key = _field_key_after_restore(manifest, staging)
        if key_fingerprint(key) != manifest.get("field_key_fingerprint"):
            message = (
                "the backup was made with another CARENET_FIELD_KEY: its ID numbers, phones "
                "and confidential notes cannot be read with the key in use"
            )
            if not force:
                raise BackupError(message + " (set the original key, or pass --force)")
            warnings.append(message)
        db_file = staging / db_member
        if engine == "sqlite":
            _sqlite_integrity(db_file)
            live = _django_sqlite()
            with contextlib.closing(sqlite3.connect(db_file)) as source:
                _match_page_size(source, live)
                source.backup(live)  # one write transaction on the live database
        else:
            _pg_restore(db_file)
        ContentType.objects.clear_cache()
        new_media = staging / "media"
        new_media.mkdir(exist_ok=True)
        _swap_folder(new_media, media_root)
        keys_restored = False
        for name, filename in KEY_FILES.items():
            source_key = staging / name
            if source_key.is_file():
                target = Path(settings.CARENET_HOME) / filename
                partial = target.with_name(f".{filename}.partial")
                fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    handle.write(source_key.read_text(encoding="utf-8").strip())
                os.replace(partial, target)
                keys_restored = True
        if keys_restored and (
            os.environ.get("CARENET_FIELD_KEY") or os.environ.get("CARENET_FIELD_KEY_FILE")
        ):
            warnings.append(
                "CARENET_FIELD_KEY is set in the environment: it overrides the restored key file"
            )
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return RestoreResult(
        engine=engine,
        media_files=int(manifest.get("media_files", 0)),
        created_at=str(manifest.get("created_at", "")),
        keys_restored=keys_restored,
        warnings=warnings,
    )
