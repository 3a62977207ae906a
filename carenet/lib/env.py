"""Typed helpers that read the environment and fail with one clear line.

Every secret variable also accepts ``NAME_FILE``: a path to read the value from.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


class ConfigError(Exception):
    """A bad environment value; its message is one line naming the variable."""


def env_str(name: str, default: str | None = None) -> str | None:
    file_var = f"{name}_FILE"
    if os.environ.get(file_var):
        path = Path(os.environ[file_var])
        try:
            return path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"{file_var}: cannot read {path}: {exc.strerror}") from exc
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value


def env_bool(name: str, default: bool = False) -> bool:
    value = env_str(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name}: expected 1 or 0, got {value!r}")


def env_list(name: str, default: list[str]) -> list[str]:
    value = env_str(name)
    if value is None:
        return default
    items = [item.strip() for item in value.split(",") if item.strip()]
    if not items:
        raise ConfigError(f"{name}: expected a comma-separated list, got {value!r}")
    return items


def env_path(name: str, default: Path) -> Path:
    """A folder from the environment, created readable by its owner only (0700) if new: it
    holds children's data."""
    value = env_str(name)
    path = Path(value).expanduser() if value else default
    try:
        if not path.exists():
            path.mkdir(mode=0o700, parents=True)
            path.chmod(0o700)  # mkdir's mode passes through the umask
    except FileExistsError:
        pass  # made meanwhile by another process
    except OSError as exc:
        raise ConfigError(f"{name}: cannot create the folder {path}: {exc.strerror}") from exc
    return path


def private_file(path: Path) -> Path:
    """``path``, created empty and readable by its owner only (0600) if it does not exist:
    SQLite then uses it as a new database, and gives its WAL and shared-memory files the
    same mode."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    return path


def env_secret(name: str, home: Path, filename: str, min_length: int = 32) -> str:
    """A secret from the environment, or one generated once into ``home/filename``."""
    value = env_str(name)
    if value is not None:
        if len(value) < min_length:
            raise ConfigError(f"{name}: must be at least {min_length} characters long")
        return value
    path = home / filename
    if path.exists():
        stored = path.read_text(encoding="utf-8").strip()
        if len(stored) < min_length:
            raise ConfigError(
                f"{name}: the generated key in {path} is damaged; remove it or set {name}"
            )
        return stored
    generated = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(generated + "\n")
    return generated
