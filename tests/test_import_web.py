"""The web import: upload → preview with every rejected row → confirm → progress → done."""

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from python_calamine import CalamineWorkbook

from carenet.children.models import Child
from carenet.exchange.models import ImportBatch, ImportStatus
from carenet.lib.idcard import make_id_number

pytestmark = pytest.mark.django_db

GOOD_1 = make_id_number("340827", dt.date(2016, 5, 6), 901, "M")
GOOD_2 = make_id_number("340827", dt.date(2016, 7, 8), 903, "F")
BAD_ID = GOOD_1[:-1] + ("0" if GOOD_1[-1] != "0" else "1")


def _register() -> bytes:
    lines = [
        "华阳小学留守儿童花名册",
        "序号,姓名,性别,出生日期,身份证号,年级,班级,父亲姓名,父亲联系电话",
        f"1,刘一,男,2016-05-06,{GOOD_1},一年级,一(1)班,刘大,13800001111",
        f"2,陈二,女,2016/7/8,{GOOD_2},一年级,一(1)班,陈大,13800002222",
        f"3,错三,男,2016-05-06,{BAD_ID},一年级,一(1)班,,",
        "4,,男,2016-05-06,,一年级,一(1)班,,",
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _upload(client, school, data: bytes, name: str = "花名册.csv"):
    upload = SimpleUploadedFile(name, data, content_type="text/csv")
    return client.post("/exchange/import/", {"school": school.pk, "file": upload})


class TestImportFlow:
    def test_upload_preview_confirm_creates_the_children(
        self, world, client, django_capture_on_commit_callbacks
    ):
        client.force_login(world.user("principal"))
        response = _upload(client, world.school, _register())
        assert response.status_code == 302
        batch = ImportBatch.objects.get()
        assert batch.status == ImportStatus.PENDING and batch.user == world.user("principal")
        assert not Child.objects.filter(name="刘一").exists()

        preview = client.get(response["Location"]).content.decode()
        assert "第 5 行" in preview and "第 6 行" in preview  # the rejected rows, as Excel
        assert "确认导入" in preview

        errors = client.get(f"/exchange/import/{batch.pk}/errors/")
        sheet = CalamineWorkbook.from_filelike(io.BytesIO(errors.content))
        assert len(sheet.get_sheet_by_index(0).to_python()) >= 3
        assert "filename*=UTF-8''" in errors["Content-Disposition"]

        with django_capture_on_commit_callbacks(execute=True):
            done = client.post(f"/exchange/import/{batch.pk}/commit/")
        assert done.status_code == 302
        batch.refresh_from_db()
        assert batch.status == ImportStatus.COMPLETE, batch.error
        assert (batch.created, batch.rejected) == (2, 2)
        assert set(Child.objects.filter(school=world.school).values_list("name", flat=True)) >= {
            "刘一",
            "陈二",
        }
        page = client.get(f"/exchange/import/{batch.pk}/").content.decode()
        assert 'id="result"' in page and "hx-trigger" not in page

        listing = client.get("/exchange/import/").content.decode()
        assert "花名册.csv" in listing

    def test_a_second_confirm_does_not_import_again(
        self, world, client, django_capture_on_commit_callbacks
    ):
        client.force_login(world.user("principal"))
        _upload(client, world.school, _register())
        batch = ImportBatch.objects.get()
        with django_capture_on_commit_callbacks(execute=True):
            client.post(f"/exchange/import/{batch.pk}/commit/")
            client.post(f"/exchange/import/{batch.pk}/commit/")
        assert Child.objects.filter(name="刘一").count() == 1

    def test_progress_polls_while_running_and_redirects_when_done(self, world, client):
        client.force_login(world.user("principal"))
        _upload(client, world.school, _register())
        batch = ImportBatch.objects.get()
        ImportBatch.objects.filter(pk=batch.pk).update(
            status=ImportStatus.PROCESSING, processed=50, total=100
        )
        page = client.get(f"/exchange/import/{batch.pk}/").content.decode()
        assert 'hx-trigger="every 1s"' in page and "cn-bar-50" in page
        status = client.get(f"/exchange/import/{batch.pk}/status/", HTTP_HX_REQUEST="true")
        assert "HX-Redirect" not in status and "50%" in status.content.decode()
        ImportBatch.objects.filter(pk=batch.pk).update(status=ImportStatus.COMPLETE)
        status = client.get(f"/exchange/import/{batch.pk}/status/", HTTP_HX_REQUEST="true")
        assert status["HX-Redirect"] == f"/exchange/import/{batch.pk}/"

    def test_a_failed_batch_says_so(self, world, client):
        client.force_login(world.user("principal"))
        _upload(client, world.school, _register())
        ImportBatch.objects.update(status=ImportStatus.FAILED, error="出错了")
        page = client.get(f"/exchange/import/{ImportBatch.objects.get().pk}/").content.decode()
        assert "导入失败" in page and "出错了" in page


class TestUploadRefusals:
    def test_a_file_that_is_not_a_register_gets_one_message_and_stores_nothing(self, world, client):
        # (A file with a header row CareNet does not know gets the 列对应 screen instead:
        # tests/test_import_mapping.py.)
        client.force_login(world.user("principal"))
        response = _upload(client, world.school, "品名\n苹果\n".encode(), "x.csv")
        assert response.status_code == 200
        assert "这不是儿童花名册" in response.content.decode()
        assert not ImportBatch.objects.exists()

    def test_a_file_of_another_kind_is_refused(self, world, client):
        client.force_login(world.user("principal"))
        response = _upload(client, world.school, b"%PDF-1.4", "register.pdf")
        assert "请上传 Excel" in response.content.decode()
        assert not ImportBatch.objects.exists()

    def test_a_school_the_user_does_not_manage_is_refused(self, world, client):
        client.force_login(world.user("principal"))
        response = _upload(client, world.other_school, _register())
        assert response.status_code == 200 and not ImportBatch.objects.exists()

    def test_teachers_may_not_import(self, world, client):
        client.force_login(world.user("teacher"))
        assert client.get("/exchange/import/").status_code == 403


class TestBatchAccess:
    def test_another_schools_batch_is_not_found(
        self, world, client, django_capture_on_commit_callbacks
    ):
        client.force_login(world.user("principal"))
        _upload(client, world.school, _register())
        batch = ImportBatch.objects.get()
        for role in ("stranger_teacher", "teacher", "township_supervisor", "nobody"):
            client.force_login(world.user(role))
            for tail in ("", "status/", "errors/"):
                url = f"/exchange/import/{batch.pk}/{tail}"
                assert client.get(url).status_code == 404, (role, tail)
            with django_capture_on_commit_callbacks(execute=True):
                assert client.post(f"/exchange/import/{batch.pk}/commit/").status_code == 404
        batch.refresh_from_db()
        assert batch.status == ImportStatus.PENDING

    def test_the_county_admin_sees_the_schools_batches(self, world, client):
        client.force_login(world.user("principal"))
        _upload(client, world.school, _register())
        client.force_login(world.user("county_admin"))
        batch = ImportBatch.objects.get()
        assert client.get(f"/exchange/import/{batch.pk}/").status_code == 200
