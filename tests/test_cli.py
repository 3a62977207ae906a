"""The carenet command: help, bad options and bad environment values."""

import os
import subprocess
import sys

import pytest

from carenet.cli import main


def _run(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "carenet.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=60,
    )


@pytest.mark.parametrize("command", ["demo", "serve"])
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    assert "usage: carenet" in capsys.readouterr().out


def test_a_bad_port_exits_2_with_one_line(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["demo", "--port", "http"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "port" in err


def test_an_unknown_command_exits_2(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["frobnicate"])
    assert exit_info.value.code == 2


def test_a_bad_environment_value_stops_start_up_with_one_line_naming_it(tmp_path):
    result = _run("manage", "check", env={"CARENET_HOME": str(tmp_path), "CARENET_DEBUG": "maybe"})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "carenet: CARENET_DEBUG: expected 1 or 0, got 'maybe'"
    ]


def test_a_bad_database_url_names_the_variable(tmp_path):
    result = _run(
        "manage", "check", env={"CARENET_HOME": str(tmp_path), "DATABASE_URL": "mysql:/x"}
    )
    assert result.returncode == 2
    assert "DATABASE_URL" in result.stderr and "Traceback" not in result.stderr


def test_a_short_secret_key_is_refused(tmp_path):
    result = _run(
        "manage", "check", env={"CARENET_HOME": str(tmp_path), "CARENET_SECRET_KEY": "short"}
    )
    assert result.returncode == 2
    assert "CARENET_SECRET_KEY" in result.stderr


def test_secret_file_variables_are_read(tmp_path):
    key_file = tmp_path / "key"
    key_file.write_text("k" * 40)
    env = {"CARENET_HOME": str(tmp_path / "home"), "CARENET_SECRET_KEY_FILE": str(key_file)}
    result = _run(
        "manage",
        "shell",
        "-c",
        "from django.conf import settings; print(settings.SECRET_KEY)",
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "k" * 40


def test_keys_are_generated_into_carenet_home_once(tmp_path):
    env = {"CARENET_HOME": str(tmp_path)}
    for var in ("CARENET_SECRET_KEY", "CARENET_FIELD_KEY", "DATABASE_URL"):
        env[var] = ""
    first = _run("manage", "check", env=env)
    assert first.returncode == 0, first.stderr
    key = (tmp_path / "field_key").read_text()
    assert oct((tmp_path / "field_key").stat().st_mode)[-3:] == "600"
    _run("manage", "check", env=env)
    assert (tmp_path / "field_key").read_text() == key


@pytest.mark.parametrize(
    "command",
    [
        ["remind"],
        ["export", "children", "--org", "340827", "-o", "out.xlsx"],
        ["import", "children", "{tmp}/register.xlsx", "--school", "X"],
        ["backup", "out.tgz"],
    ],
)
def test_a_database_not_yet_migrated_is_one_clear_line(tmp_path, command):
    (tmp_path / "register.xlsx").write_bytes(b"not read before the database check")
    command = [part.format(tmp=tmp_path) for part in command]
    result = _run(*command, env={"CARENET_HOME": str(tmp_path / "home"), "DATABASE_URL": ""})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "carenet: the database is not up to date: run 'carenet manage migrate' first"
    ]


def test_a_database_that_does_not_answer_is_one_clear_line(tmp_path):
    env = {"CARENET_HOME": str(tmp_path), "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none"}
    result = _run("remind", env=env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("carenet: the database does not answer")


def test_the_data_folder_and_databases_are_readable_by_their_owner_only(tmp_path):
    home = tmp_path / "new-home"
    env = {"CARENET_HOME": str(home), "DATABASE_URL": "", "CARENET_FIELD_KEY": ""}
    result = _run("manage", "migrate", "-v", "0", env=env)
    assert result.returncode == 0, result.stderr
    assert oct(home.stat().st_mode)[-3:] == "700"
    for name in ("carenet.sqlite3", "queue.sqlite3", "field_key", "secret_key"):
        assert oct((home / name).stat().st_mode)[-3:] == "600", name
    for extra in home.glob("carenet.sqlite3-*"):  # WAL and shared memory, if left
        assert oct(extra.stat().st_mode)[-3:] == "600", extra.name
