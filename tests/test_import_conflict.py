"""Two imports of the same file at once: the one that commits second gets a Chinese
message and writes nothing (not an IntegrityError traceback)."""

from __future__ import annotations

import pytest

from carenet.children.models import Child
from carenet.cli import main
from carenet.exchange import importer
from carenet.exchange.importer import ImportConflict, import_commit, import_preview
from carenet.exchange.models import ImportBatch
from tests.import_files import SIMPLE_HEADER, an_id, simple_row, xlsx

MESSAGE = "另一个导入同时写入了相同的儿童，请稍后重试"


def _register() -> bytes:
    return xlsx([SIMPLE_HEADER, simple_row(1, "甲", an_id()), simple_row(2, "乙", an_id())])


def test_the_second_commit_of_the_same_file_is_refused_and_rolled_back(world):
    data = _register()
    first = import_preview(data=data, filename="a.xlsx", school=world.school)
    second = import_preview(data=data, filename="b.xlsx", school=world.school)
    import_commit(preview=first, school=world.school, actor=None)
    with pytest.raises(ImportConflict, match=MESSAGE):
        import_commit(preview=second, school=world.school, actor=None)
    assert Child.objects.filter(name__in=["甲", "乙"]).count() == 2
    assert list(ImportBatch.objects.values_list("filename", flat=True)) == ["a.xlsx"]


def test_the_command_that_loses_the_race_exits_2_with_one_line(
    world, tmp_path, capsys, monkeypatch
):
    data = _register()
    path = tmp_path / "花名册.xlsx"
    path.write_bytes(data)
    real_preview = importer.preview.import_preview

    def preview_then_the_other_import_commits(**kwargs):
        preview = real_preview(**kwargs)
        other = real_preview(**kwargs)
        import_commit(preview=other, school=world.school, actor=None)
        return preview

    monkeypatch.setattr(importer.preview, "import_preview", preview_then_the_other_import_commits)
    assert main(["import", "children", str(path), "--school", world.school.code]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and MESSAGE in err and "Traceback" not in err
    assert Child.objects.filter(name="甲").count() == 1
