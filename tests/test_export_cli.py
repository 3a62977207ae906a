"""``carenet export children --org CODE -o OUT``: the register of an org, as an operator."""

import io

import pytest
from python_calamine import CalamineWorkbook

from carenet.children.models import Child
from carenet.cli import main
from carenet.exchange.export import REGISTER_COLUMNS

pytestmark = pytest.mark.django_db

ID = REGISTER_COLUMNS.index("身份证号")


def _sheet(path) -> list[list]:
    book = CalamineWorkbook.from_filelike(io.BytesIO(path.read_bytes()))
    return book.get_sheet_by_index(0).to_python()


def test_it_has_help(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["export", "children", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "--org" in out and "--unmasked" in out


def test_it_writes_everything_under_the_org_masked(world, tmp_path, capsys):
    out = tmp_path / "华阳镇.xlsx"
    assert main(["export", "children", "--org", world.township.code, "-o", str(out)]) == 0
    sheet = _sheet(out)
    assert sheet[0] == REGISTER_COLUMNS
    assert {row[1] for row in sheet[1:]} == {"王子涵", "曾小雨", "李明", "张伟"}
    assert all("********" in row[ID] for row in sheet[1:])
    assert "4 children" in capsys.readouterr().out


def test_unmasked_writes_full_id_numbers(world, tmp_path):
    out = tmp_path / "school.xlsx"
    code = world.school.code
    assert main(["export", "children", "--org", code, "-o", str(out), "--unmasked"]) == 0
    ids = {row[ID] for row in _sheet(out)[1:]}
    assert world.own_child.id_number in ids


def test_a_csv_is_written_by_the_suffix(world, tmp_path):
    out = tmp_path / "county.csv"
    assert main(["export", "children", "--org", world.county.code, "-o", str(out)]) == 0
    text = out.read_bytes()
    assert text.startswith(b"\xef\xbb\xbf") and "赵强" in text.decode("utf-8-sig")


def test_an_unknown_org_exits_2_with_one_line(world, tmp_path, capsys):
    out = tmp_path / "x.xlsx"
    assert main(["export", "children", "--org", "nope", "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "nope" in err
    assert not out.exists()


def test_an_unwritable_path_exits_2(world, tmp_path, capsys):
    out = tmp_path / "missing" / "x.xlsx"
    assert main(["export", "children", "--org", world.school.code, "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "cannot write" in err


def test_an_unknown_suffix_exits_2(world, tmp_path, capsys):
    out = tmp_path / "x.pdf"
    assert main(["export", "children", "--org", world.school.code, "-o", str(out)]) == 2
    assert ".xlsx or .csv" in capsys.readouterr().err


def test_a_missing_option_exits_2(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["export", "children", "-o", "x.xlsx"])
    assert exit_info.value.code == 2


def test_a_csv_from_the_command_line_runs_no_formula(world, tmp_path):
    Child.objects.filter(pk=world.own_child.pk).update(notes="=cmd|' /C calc'!A0")
    out = tmp_path / "school.csv"
    assert main(["export", "children", "--org", world.school.code, "-o", str(out)]) == 0
    text = out.read_bytes().decode("utf-8-sig")
    assert "'=cmd|" in text and ",=cmd" not in text


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_an_export_is_readable_by_its_owner_only(world, tmp_path, suffix):
    out = tmp_path / f"school{suffix}"
    out.write_bytes(b"an older file, world-readable")
    out.chmod(0o644)
    assert (
        main(["export", "children", "--org", world.school.code, "-o", str(out), "--unmasked"]) == 0
    )
    assert oct(out.stat().st_mode)[-3:] == "600"
