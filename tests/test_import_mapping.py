"""列对应: the columns of a register as the user corrects them — used by the importer,
remembered for the school, offered next time — and a file with a header but no rows."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from carenet.children.models import Child
from carenet.cli import main
from carenet.exchange.columns import FIELD_LABELS, field_groups, field_label
from carenet.exchange.importer import (
    ColumnChoice,
    HeaderNotFound,
    MappingError,
    NoDataRows,
    import_commit,
    import_preview,
)
from carenet.exchange.mapping import header_signature
from carenet.exchange.models import ColumnMapping, ImportBatch, ImportStatus
from tests.import_files import SIMPLE_HEADER, an_id, simple_row, xlsx

pytestmark = pytest.mark.django_db

# The guardian's phone under a header CareNet does not know.
EMERGENCY = "紧急联系人电话"
HEADER = [*SIMPLE_HEADER[:-1], EMERGENCY]
PHONE_COLUMN = len(HEADER) - 1
FATHER_PHONE_COLUMN = SIMPLE_HEADER.index("父亲联系电话")
GUARDIAN_PHONE = "13911112222"


def _row(n: int, name: str, id_number: str, **over) -> list[object]:
    phone = over.pop("emergency", GUARDIAN_PHONE)
    return [*simple_row(n, name, id_number, **over)[:-1], phone]


def _register(*names: str) -> bytes:
    return xlsx([HEADER, *[_row(n, name, an_id()) for n, name in enumerate(names, 1)]])


def _preview(world, data: bytes, mapping=None):
    return import_preview(data=data, filename="花名册.xlsx", school=world.school, mapping=mapping)


def _column(preview, index: int):
    return next(c for c in preview.header_columns if c.column == index)


def _guardian_phone(preview) -> str | None:
    (row,) = [r for r in preview.rows if r.plan is not None]
    return row.plan.family.get("guardian", {}).get("phone")


class TestLabels:
    def test_every_key_has_a_chinese_label_made_from_the_tables(self):
        assert field_label("guardian.phone") == "监护人·联系电话"
        assert field_label("father.phone") == "父亲·联系电话"
        assert field_label("id_number") == "身份证号"
        assert field_label(None) == ""
        grouped = [key for _group, fields in field_groups() for key, _label in fields]
        assert sorted(grouped) == sorted(FIELD_LABELS)
        assert [group for group, _fields in field_groups()][:8] == [
            "",
            "父亲",
            "母亲",
            "监护人",
            "祖父",
            "祖母",
            "外祖父",
            "外祖母",
        ]


class TestMappingInThePreview:
    def test_the_preview_lists_every_column_with_what_carenet_took_it_for(self, world):
        preview = _preview(world, _register("甲"))
        assert [c.text for c in preview.header_columns] == HEADER
        unknown = _column(preview, PHONE_COLUMN)
        assert (unknown.key, unknown.auto, unknown.origin) == (None, None, "auto")
        father = _column(preview, FATHER_PHONE_COLUMN)
        assert (father.key, father.origin) == ("father.phone", "auto")
        assert _guardian_phone(preview) is None

    def test_a_column_mapped_by_the_user_is_used_and_imported(self, world):
        choice = ColumnChoice(PHONE_COLUMN, EMERGENCY, "guardian.phone")
        preview = _preview(world, _register("甲"), mapping=[choice])
        column = _column(preview, PHONE_COLUMN)
        assert (column.key, column.auto, column.origin) == ("guardian.phone", None, "user")
        assert _guardian_phone(preview) == GUARDIAN_PHONE
        import_commit(preview=preview, school=world.school, actor=world.user("principal"))
        guardian = Child.objects.get(name="甲").family.get(relation="guardian")
        assert guardian.phone == GUARDIAN_PHONE

    def test_a_column_the_user_maps_to_a_bad_value_now_rejects_the_row(self, world):
        data = xlsx([HEADER, _row(1, "甲", an_id(), emergency="不是电话")])
        assert _preview(world, data).rejected == 0
        choice = ColumnChoice(PHONE_COLUMN, EMERGENCY, "guardian.phone")
        mapped = _preview(world, data, mapping=[choice])
        assert mapped.rejected == 1
        assert mapped.rejected_rows[0].errors[0].column == EMERGENCY

    def test_a_column_set_to_not_used_is_ignored(self, world):
        data = xlsx([HEADER, _row(1, "甲", an_id(), 父亲联系电话="不是电话")])
        assert _preview(world, data).rejected == 1
        choice = ColumnChoice(FATHER_PHONE_COLUMN, "父亲联系电话", None)
        preview = _preview(world, data, mapping=[choice])
        assert (preview.rejected, preview.created) == (0, 1)
        column = _column(preview, FATHER_PHONE_COLUMN)
        assert (column.key, column.auto, column.origin) == (None, "father.phone", "user")
        (row,) = preview.rows
        assert "phone" not in row.plan.family["father"]

    def test_a_key_the_user_gives_one_column_is_taken_from_the_column_that_had_it(self, world):
        header = [*SIMPLE_HEADER, EMERGENCY]
        data = xlsx([header, [*simple_row(1, "甲", an_id()), GUARDIAN_PHONE]])
        choice = ColumnChoice(len(SIMPLE_HEADER), EMERGENCY, "guardian.phone")
        preview = _preview(world, data, mapping=[choice])
        assert _guardian_phone(preview) == GUARDIAN_PHONE  # not 0556-1234567
        old = _column(preview, SIMPLE_HEADER.index("监护人联系电话"))
        assert (old.key, old.auto) == (None, "guardian.phone")

    def test_a_plain_list_whose_pupils_phone_is_not_used_takes_the_parents_phone(self, world):
        # The pupil's own 手机号 comes first, but the more specific 家长联系电话 is the
        # guardian's phone (``columns.settle_columns``); said to be the guardian's phone
        # by the user, the 手机号 column takes it and 家长联系电话 is not used.
        header = ["姓名", "身份证号", "班级", "手机号", "家长联系电话"]
        data = xlsx([header, ["甲", an_id(), "三(2)班", "13700000001", "13700000002"]])
        preview = _preview(world, data)
        assert _guardian_phone(preview) == "13700000002"
        assert (_column(preview, 3).key, _column(preview, 3).auto) == (None, None)
        preview = _preview(world, data, mapping=[ColumnChoice(3, "手机号", "guardian.phone")])
        assert _guardian_phone(preview) == "13700000001"
        assert _column(preview, 4).key is None

    def test_one_key_chosen_for_two_columns_is_refused(self, world):
        choices = [
            ColumnChoice(PHONE_COLUMN, EMERGENCY, "father.phone"),
            ColumnChoice(FATHER_PHONE_COLUMN, "父亲联系电话", "father.phone"),
        ]
        with pytest.raises(MappingError, match="每个字段只能对应一列"):
            _preview(world, _register("甲"), mapping=choices)

    def test_a_key_that_does_not_exist_is_refused(self, world):
        choice = ColumnChoice(PHONE_COLUMN, EMERGENCY, "guardian.password")
        with pytest.raises(MappingError, match="字段不存在"):
            _preview(world, _register("甲"), mapping=[choice])

    def test_a_choice_for_another_header_text_is_not_applied(self, world):
        choice = ColumnChoice(PHONE_COLUMN, "别的表头", "guardian.phone")
        preview = _preview(world, _register("甲"), mapping=[choice])
        assert _column(preview, PHONE_COLUMN).key is None


class TestHeaderNotFound:
    HEADER = ["学生", "公民证号", "年级", "班级"]

    def _data(self, title: bool = True) -> bytes:
        rows = [["华阳小学学生名单"]] if title else []
        rows += [
            self.HEADER,
            ["刘一", an_id(), "三年级", "2班"],
            ["陈二", an_id(gender="F"), "三年级", "2班"],
        ]
        return xlsx(rows)

    def test_the_likeliest_header_row_is_given_for_the_user_to_map(self, world):
        with pytest.raises(HeaderNotFound, match="这不是儿童花名册") as caught:
            _preview(world, self._data())
        header = caught.value.header
        assert header.rows == [1]  # not the title above it
        assert [c.text for c in header.cells] == self.HEADER
        assert [c.key for c in header.cells] == [None, None, "grade", "class"]

    def test_once_the_user_says_which_is_the_name_and_the_id_the_file_is_validated(self, world):
        choices = [ColumnChoice(0, "学生", "name"), ColumnChoice(1, "公民证号", "id_number")]
        preview = _preview(world, self._data(), mapping=choices)
        assert (preview.created, preview.rejected, preview.header_rows) == (2, 0, [2])
        assert [c.origin for c in preview.header_columns] == ["user", "user", "auto", "auto"]

    def test_the_name_alone_is_not_enough(self, world):
        with pytest.raises(HeaderNotFound) as caught:
            _preview(world, self._data(), mapping=[ColumnChoice(0, "学生", "name")])
        assert caught.value.header.cells[0].key == "name"

    def test_a_file_of_values_without_a_header_has_no_row_to_map(self, world):
        data = xlsx([["刘一", an_id(), "三年级"], ["陈二", an_id(), "三年级"]])
        with pytest.raises(HeaderNotFound) as caught:
            _preview(world, data)
        assert caught.value.header is None

    def test_the_command_line_still_exits_2_with_the_clear_message(self, world, tmp_path, capsys):
        path = tmp_path / "名单.xlsx"
        path.write_bytes(self._data())
        assert main(["import", "children", str(path), "--school", world.school.code]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "不是儿童花名册" in err


class TestNoDataRows:
    @pytest.mark.parametrize(
        "rows",
        [
            [SIMPLE_HEADER],
            [["华阳小学留守儿童花名册"], SIMPLE_HEADER, [], ["填表人：王老师"]],
            [["学生", "公民证号"]],  # no header CareNet knows, and nothing below it either
        ],
        ids=["header-only", "header-and-footer", "unknown-header-only"],
    )
    def test_a_header_without_rows_says_so(self, world, rows):
        with pytest.raises(NoDataRows, match="表格只有表头，没有儿童数据行"):
            _preview(world, xlsx(rows))

    def test_the_command_line_exits_2(self, world, tmp_path, capsys):
        path = tmp_path / "模板.xlsx"
        path.write_bytes(xlsx([SIMPLE_HEADER]))
        assert main(["import", "children", str(path), "--school", world.school.code]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "表格只有表头，没有儿童数据行" in err

    def test_the_web_upload_says_so_and_keeps_nothing(self, world, client):
        client.force_login(world.user("principal"))
        response = _upload(client, world.school, xlsx([SIMPLE_HEADER]))
        assert response.status_code == 200
        assert "表格只有表头，没有儿童数据行" in response.content.decode()
        assert not ImportBatch.objects.exists()


# --------------------------------------------------------------------------- the web


def _upload(client, school, data: bytes, name: str = "花名册.xlsx"):
    upload = SimpleUploadedFile(name, data)
    return client.post("/exchange/import/", {"school": school.pk, "file": upload})


def _mapping_post(batch: ImportBatch, **over: str) -> dict[str, str]:
    """The 列对应 form as the page sends it, with ``over`` (c12="guardian.phone")."""
    data = {f"c{c}": key or "" for c, _text, key, *_rest in batch.summary["header_columns"]}
    data.update(over)
    return data


def _columns(batch: ImportBatch) -> dict[int, tuple[str | None, str]]:
    batch.refresh_from_db()
    return {c: (key, origin) for c, _text, key, _auto, origin in batch.summary["header_columns"]}


class TestMappingOnTheWeb:
    def test_a_mapped_column_is_used_remembered_and_offered_next_time(
        self, world, client, django_capture_on_commit_callbacks
    ):
        client.force_login(world.user("principal"))
        assert _upload(client, world.school, _register("甲")).status_code == 302
        batch = ImportBatch.objects.get()
        page = client.get(f"/exchange/import/{batch.pk}/").content.decode()
        assert "列对应" in page and EMERGENCY in page and 'id="mapping" open' not in page
        assert _columns(batch)[PHONE_COLUMN] == (None, "auto")

        mapped = client.post(
            f"/exchange/import/{batch.pk}/mapping/",
            _mapping_post(batch, **{f"c{PHONE_COLUMN}": "guardian.phone"}),
        )
        assert mapped.status_code == 302
        assert _columns(batch)[PHONE_COLUMN] == ("guardian.phone", "user")
        assert "您的选择" in client.get(f"/exchange/import/{batch.pk}/").content.decode()
        assert not ColumnMapping.objects.exists()  # kept only once confirmed

        with django_capture_on_commit_callbacks(execute=True):
            client.post(f"/exchange/import/{batch.pk}/commit/")
        batch.refresh_from_db()
        assert batch.status == ImportStatus.COMPLETE, batch.error
        guardian = Child.objects.get(name="甲").family.get(relation="guardian")
        assert guardian.phone == GUARDIAN_PHONE
        kept = ColumnMapping.objects.get()
        assert kept.org == world.school and kept.updated_by == world.user("principal")
        assert kept.mapping[EMERGENCY] == "guardian.phone"
        # Header texts and keys only: no cell of a row.
        assert set(kept.mapping) == set(HEADER)
        assert set(kept.mapping.values()) <= set(FIELD_LABELS) | {""}

        assert _upload(client, world.school, _register("乙")).status_code == 302
        second = ImportBatch.objects.filter(status=ImportStatus.PENDING).get()
        assert _columns(second)[PHONE_COLUMN] == ("guardian.phone", "remembered")
        assert _columns(second)[FATHER_PHONE_COLUMN] == ("father.phone", "auto")
        page = client.get(f"/exchange/import/{second.pk}/").content.decode()
        assert "上次的选择" in page
        with django_capture_on_commit_callbacks(execute=True):
            client.post(f"/exchange/import/{second.pk}/commit/")
        guardian = Child.objects.get(name="乙").family.get(relation="guardian")
        assert guardian.phone == GUARDIAN_PHONE

    def test_the_choice_is_not_offered_at_another_school(self, world, client):
        ColumnMapping.objects.create(
            org=world.school,
            signature=header_signature(_preview_columns(world)),
            mapping={EMERGENCY: "guardian.phone"},
        )
        client.force_login(world.user("county_admin"))
        assert _upload(client, world.other_school, _register("甲")).status_code == 302
        assert _columns(ImportBatch.objects.get())[PHONE_COLUMN] == (None, "auto")
        assert _upload(client, world.school, _register("乙")).status_code == 302
        batch = ImportBatch.objects.get(school=world.school)
        assert _columns(batch)[PHONE_COLUMN] == ("guardian.phone", "remembered")

    def test_a_header_with_a_column_more_gets_the_choice_by_its_text(self, world, client):
        ColumnMapping.objects.create(
            org=world.school, signature="another header", mapping={EMERGENCY: "guardian.phone"}
        )
        client.force_login(world.user("principal"))
        data = xlsx([[*HEADER, "备用列"], [*_row(1, "甲", an_id()), "x"]])
        assert _upload(client, world.school, data).status_code == 302
        assert _columns(ImportBatch.objects.get())[PHONE_COLUMN] == ("guardian.phone", "remembered")

    def test_confirming_the_automatic_mapping_again_forgets_the_choice(
        self, world, client, django_capture_on_commit_callbacks
    ):
        ColumnMapping.objects.create(
            org=world.school,
            signature=header_signature(_preview_columns(world)),
            mapping={EMERGENCY: "guardian.phone"},
        )
        client.force_login(world.user("principal"))
        _upload(client, world.school, _register("甲"))
        batch = ImportBatch.objects.get()
        client.post(
            f"/exchange/import/{batch.pk}/mapping/",
            _mapping_post(batch, **{f"c{PHONE_COLUMN}": ""}),
        )
        assert _columns(batch)[PHONE_COLUMN] == (None, "user")
        with django_capture_on_commit_callbacks(execute=True):
            client.post(f"/exchange/import/{batch.pk}/commit/")
        assert not ColumnMapping.objects.exists()
        assert not Child.objects.get(name="甲").family.filter(relation="guardian", phone__gt="")

    @pytest.mark.parametrize(
        ("over", "message"),
        [
            ({f"c{PHONE_COLUMN}": "father.phone"}, "每个字段只能对应一列"),
            ({f"c{PHONE_COLUMN}": "guardian.password"}, "字段不存在"),
            ({"c1": ""}, "请指出哪一列是“姓名”"),
        ],
        ids=["a-key-twice", "a-forged-key", "no-name-column"],
    )
    def test_a_bad_mapping_is_shown_again_with_a_message_and_nothing_lost(
        self, world, client, over, message
    ):
        client.force_login(world.user("principal"))
        _upload(client, world.school, _register("甲"))
        batch = ImportBatch.objects.get()
        before = batch.summary
        response = client.post(
            f"/exchange/import/{batch.pk}/mapping/", _mapping_post(batch, **over)
        )
        assert response.status_code == 400
        page = response.content.decode()
        assert message in page and 'id="mapping" open' in page
        # The user's selections are still on the page, the batch as it was.
        selected = 2 if over.get(f"c{PHONE_COLUMN}") == "father.phone" else 1
        assert page.count('value="father.phone" selected') == selected
        batch.refresh_from_db()
        assert batch.summary == before and batch.status == ImportStatus.PENDING

    def test_a_file_with_no_known_header_gets_the_mapping_screen_instead_of_a_refusal(
        self, world, client, django_capture_on_commit_callbacks
    ):
        client.force_login(world.user("principal"))
        rows = [["学生", "公民证号", "年级", "班级"], ["刘一", an_id(), "三年级", "2班"]]
        assert _upload(client, world.school, xlsx(rows)).status_code == 302
        batch = ImportBatch.objects.get()
        page = client.get(f"/exchange/import/{batch.pk}/").content.decode()
        assert 'id="needs-mapping"' in page and 'id="mapping" open' in page
        commit = f"/exchange/import/{batch.pk}/commit/"
        assert commit not in page and "学生" in page and "公民证号" in page
        with django_capture_on_commit_callbacks(execute=True):
            client.post(f"/exchange/import/{batch.pk}/commit/")
        batch.refresh_from_db()
        assert batch.status == ImportStatus.PENDING  # nothing to confirm yet

        response = client.post(
            f"/exchange/import/{batch.pk}/mapping/", _mapping_post(batch, c0="name", c1="id_number")
        )
        assert response.status_code == 302
        page = client.get(f"/exchange/import/{batch.pk}/").content.decode()
        assert 'id="needs-mapping"' not in page and commit in page
        with django_capture_on_commit_callbacks(execute=True):
            client.post(f"/exchange/import/{batch.pk}/commit/")
        batch.refresh_from_db()
        assert batch.status == ImportStatus.COMPLETE and batch.created == 1
        assert Child.objects.get(name="刘一").school_class.name == "三(2)班"
        assert ColumnMapping.objects.get().mapping["学生"] == "name"

    def test_a_file_that_cannot_be_a_register_is_still_refused(self, world, client):
        client.force_login(world.user("principal"))
        response = _upload(client, world.school, xlsx([["只有一格"], [1], [2]]))
        assert response.status_code == 200 and "这不是儿童花名册" in response.content.decode()
        assert not ImportBatch.objects.exists()

    def test_the_mapping_of_a_batch_no_longer_pending_cannot_change(self, world, client):
        client.force_login(world.user("principal"))
        _upload(client, world.school, _register("甲"))
        batch = ImportBatch.objects.get()
        ImportBatch.objects.filter(pk=batch.pk).update(status=ImportStatus.CANCELLED)
        response = client.post(
            f"/exchange/import/{batch.pk}/mapping/",
            _mapping_post(batch, **{f"c{PHONE_COLUMN}": "guardian.phone"}),
        )
        assert response.status_code == 302
        assert _columns(batch)[PHONE_COLUMN] == (None, "auto")

    def test_another_orgs_batch_is_not_found(self, world, client):
        client.force_login(world.user("principal"))
        _upload(client, world.school, _register("甲"))
        batch = ImportBatch.objects.get()
        post = _mapping_post(batch, **{f"c{PHONE_COLUMN}": "guardian.phone"})
        for role in ("stranger_teacher", "teacher", "township_supervisor", "village_director"):
            client.force_login(world.user(role))
            assert client.post(f"/exchange/import/{batch.pk}/mapping/", post).status_code == 404
        assert _columns(batch)[PHONE_COLUMN] == (None, "auto")


def _preview_columns(world):
    return _preview(world, _register("样")).header_columns


def test_the_choice_is_not_kept_for_a_row_of_values(world):
    """Should a header text ever hold a value (6 digits and more), it is not kept."""
    from carenet.exchange.importer import HeaderColumn
    from carenet.exchange.mapping import column_mapping_remember

    columns = [
        HeaderColumn(0, "姓名", "name", "name"),
        HeaderColumn(1, "身份证号", "id_number", "id_number"),
        HeaderColumn(2, "13812345678", None, "guardian.phone", "user"),
    ]
    kept = column_mapping_remember(org=world.school, columns=columns, user=None)
    assert kept.mapping == {"姓名": "name", "身份证号": "id_number"}


def test_a_remembered_choice_is_used_by_the_import_job_as_previewed(world):
    """The job validates the upload again with the preview's mapping, not the automatic one."""
    from carenet.exchange.tasks import import_batch_process
    from carenet.exchange.uploads import import_batch_stage

    ColumnMapping.objects.create(
        org=world.school,
        signature=header_signature(_preview_columns(world)),
        mapping={EMERGENCY: "guardian.phone"},
    )
    batch = import_batch_stage(
        data=_register("丙"),
        filename="花名册.xlsx",
        school=world.school,
        user=world.user("principal"),
    )
    ColumnMapping.objects.all().delete()  # the job does not look again
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportStatus.QUEUED)  # 确认导入
    import_batch_process(batch.pk)
    batch.refresh_from_db()
    assert batch.status == ImportStatus.COMPLETE, batch.error
    assert Child.objects.get(name="丙").family.get(relation="guardian").phone == GUARDIAN_PHONE
