"""``carenet import children``: exit codes, --json, --dry-run and --report."""

from __future__ import annotations

import json

from carenet.children.models import Child
from carenet.cli import main
from tests.import_files import SIMPLE_HEADER, an_id, simple_row, xlsx


def _file(tmp_path, rows, name="花名册.xlsx"):
    path = tmp_path / name
    path.write_bytes(xlsx(rows))
    return str(path)


def test_a_clean_register_exits_0_and_prints_the_contract_json(world, tmp_path, capsys):
    path = _file(tmp_path, [SIMPLE_HEADER, simple_row(1, "甲", an_id()), []])
    assert main(["import", "children", path, "--school", world.school.code, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    # The CONTRACT's keys, and two added: the warnings and the left-behind counts.
    assert {k: out[k] for k in ("created", "updated", "skipped", "rejected")} == {
        "created": 1,
        "updated": 0,
        "skipped": 0,
        "rejected": [],
    }
    assert set(out) == {"created", "updated", "skipped", "rejected", "warnings", "left_behind"}
    assert out["warnings"] == []
    assert Child.objects.filter(name="甲").exists()


def test_rejected_rows_exit_3_after_importing_the_good_rows(world, tmp_path, capsys):
    rows = [["标题"], SIMPLE_HEADER, simple_row(1, "甲", an_id()), simple_row(2, "乙", "123")]
    report = tmp_path / "errors.xlsx"
    code = main(
        [
            "import",
            "children",
            _file(tmp_path, rows),
            "--school",
            world.school.code,
            "--json",
            "--report",
            str(report),
        ]
    )
    assert code == 3
    out = json.loads(capsys.readouterr().out)
    assert out["created"] == 1 and out["rejected"][0]["row"] == 4
    assert out["rejected"][0]["errors"][0] == {
        "field": "id_number",
        "column": "身份证号",
        "message": "身份证号应为18位，现为3位",
    }
    assert report.read_bytes().startswith(b"PK")


def test_a_dry_run_writes_nothing_and_prints_a_chinese_summary(world, tmp_path, capsys):
    path = _file(tmp_path, [SIMPLE_HEADER, simple_row(1, "甲", an_id())])
    assert main(["import", "children", path, "--school", world.school.code, "--dry-run"]) == 0
    assert "将新建 1 名" in capsys.readouterr().out
    assert not Child.objects.filter(name="甲").exists()


def test_an_unknown_school_exits_2_with_one_line(world, tmp_path, capsys):
    path = _file(tmp_path, [SIMPLE_HEADER])
    assert main(["import", "children", path, "--school", "nope"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "nope" in err


def test_a_file_that_is_not_a_register_exits_2_and_changes_nothing(world, tmp_path, capsys):
    before = Child.objects.count()
    path = _file(tmp_path, [["月份", "收入"], ["一月", 3.0]])
    assert main(["import", "children", path, "--school", world.school.code]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "不是儿童花名册" in err
    missing = str(tmp_path / "missing.xlsx")
    assert main(["import", "children", missing, "--school", world.school.code]) == 2
    assert Child.objects.count() == before


def test_import_has_help(capsys):
    import pytest

    with pytest.raises(SystemExit) as exit_info:
        main(["import", "children", "--help"])
    assert exit_info.value.code == 0
    assert "--dry-run" in capsys.readouterr().out
