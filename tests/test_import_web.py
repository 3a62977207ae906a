"""The web import: upload → preview with every rejected row → confirm → progress → done."""

import datetime as dt
import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from python_calamine import CalamineWorkbook

from carenet.children.models import Child
from carenet.exchange.models import ImportBatch, ImportStatus
from carenet.exchange.progress import Stage, job_progress_clear, job_progress_get, job_progress_put
from carenet.exchange.views import children_url
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


def _text(page: str, element_id: str) -> str:
    """The text of the element with that id (tags dropped, spaces squeezed)."""
    start = page.rindex("<", 0, page.index(f'id="{element_id}"'))
    depth, end = 0, start
    for tag in re.finditer(r"<(/?)(section|div|p)\b", page[start:]):
        depth += -1 if tag.group(1) else 1
        if depth == 0:
            end = start + tag.start()
            break
    text = re.sub(r"<[^>]+>", " ", page[page.index(">", start) + 1 : end])
    return " ".join(text.split())


def _upload(client, school, data: bytes, name: str = "花名册.csv"):
    upload = SimpleUploadedFile(name, data, content_type="text/csv")
    return client.post("/exchange/import/", {"school": school.pk, "file": upload})


class TestImportFlow:
    def test_upload_preview_confirm_follows_the_job_to_its_result(
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
        assert "确认导入" in preview and "尚未写入任何数据" in preview

        errors = client.get(f"/exchange/import/{batch.pk}/errors/")
        sheet = CalamineWorkbook.from_filelike(io.BytesIO(errors.content))
        assert len(sheet.get_sheet_by_index(0).to_python()) >= 3
        assert "filename*=UTF-8''" in errors["Content-Disposition"]

        with django_capture_on_commit_callbacks(execute=True):
            done = client.post(f"/exchange/import/{batch.pk}/commit/")
        assert done.status_code == 302 and done["Location"] == f"/exchange/import/{batch.pk}/"
        batch.refresh_from_db()
        assert batch.status == ImportStatus.COMPLETE, batch.error
        assert (batch.created, batch.updated, batch.unchanged, batch.rejected) == (2, 0, 0, 2)
        assert set(Child.objects.filter(school=world.school).values_list("name", flat=True)) >= {
            "刘一",
            "陈二",
        }
        page = client.get(done["Location"]).content.decode()
        assert "尚未写入任何数据" not in page and "hx-trigger" not in page
        result = _text(page, "result")
        for label, n in (("新建", 2), ("更新", 0), ("未变", 0), ("跳过", 0), ("未导入", 2)):
            assert f"{label} {n}" in result, (label, result)
        children = f"/children/?school={world.school.pk}"
        assert f'href="{children}"' in page
        assert 'href="/exchange/import/#past-imports"' in page
        listing = client.get(children).content.decode()
        assert "刘一" in listing and "陈二" in listing

        history = client.get("/exchange/import/").content.decode()
        assert "花名册.csv" in history

    def test_after_confirm_the_page_follows_the_job_before_the_worker_takes_it(
        self, world, client, django_capture_on_commit_callbacks
    ):
        client.force_login(world.user("principal"))
        _upload(client, world.school, _register())
        batch = ImportBatch.objects.get()
        with django_capture_on_commit_callbacks() as queued:
            client.post(f"/exchange/import/{batch.pk}/commit/")
        batch.refresh_from_db()
        assert batch.status == ImportStatus.QUEUED and len(queued) == 1
        page = client.get(f"/exchange/import/{batch.pk}/").content.decode()
        assert "尚未写入任何数据" not in page and f"/{batch.pk}/commit/" not in page
        assert 'hx-trigger="every 1s"' in page and "等待后台开始写入" in page
        assert "spinner-border" in page
        # Without JavaScript: the page reloads itself, and a link does the same.
        assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in page
        assert f'href="/exchange/import/{batch.pk}/" id="refresh"' in page
        status = client.get(f"/exchange/import/{batch.pk}/status/", HTTP_HX_REQUEST="true")
        assert "HX-Redirect" not in status and "等待后台开始写入" in status.content.decode()

        queued[0]()  # the queue worker takes the job
        status = client.get(f"/exchange/import/{batch.pk}/status/", HTTP_HX_REQUEST="true")
        assert status["HX-Redirect"] == f"/exchange/import/{batch.pk}/"
        page = client.get(status["HX-Redirect"]).content.decode()
        assert "新建 2" in _text(page, "result") and "http-equiv" not in page

    def test_the_page_shows_the_jobs_stage_and_rows(self, world, client):
        client.force_login(world.user("principal"))
        _upload(client, world.school, _register())
        batch = ImportBatch.objects.get()
        ImportBatch.objects.filter(pk=batch.pk).update(status=ImportStatus.PROCESSING)
        url = f"/exchange/import/{batch.pk}/status/"
        page = client.get(f"/exchange/import/{batch.pk}/").content.decode()
        assert 'hx-trigger="every 1s"' in page and "正在读取文件" in page
        job_progress_put(batch_id=batch.pk, stage=Stage.CHECKING, done=50, total=100)
        status = client.get(url, HTTP_HX_REQUEST="true").content.decode()
        assert "再次核对" in status and "cn-bar-50" in status and "已处理 50 / 100 行" in status
        job_progress_put(batch_id=batch.pk, stage=Stage.WRITING, done=30, total=40)
        status = client.get(url, HTTP_HX_REQUEST="true").content.decode()
        assert "正在写入" in status and "cn-bar-75" in status and "30 / 40" in status
        assert "spinner-border" not in status
        job_progress_clear(batch_id=batch.pk)
        ImportBatch.objects.filter(pk=batch.pk).update(status=ImportStatus.COMPLETE)
        status = client.get(url, HTTP_HX_REQUEST="true")
        assert status["HX-Redirect"] == f"/exchange/import/{batch.pk}/"

    def test_the_job_reports_its_checking_and_its_writing(
        self, world, client, monkeypatch, django_capture_on_commit_callbacks
    ):
        from carenet.exchange import tasks

        reports: list[tuple[str, int, int]] = []

        def recorded(*, batch_id, stage, done, total):
            reports.append((stage, done, total))
            job_progress_put(batch_id=batch_id, stage=stage, done=done, total=total)

        monkeypatch.setattr(tasks, "job_progress_put", recorded)
        client.force_login(world.user("principal"))
        _upload(client, world.school, _register())
        batch = ImportBatch.objects.get()
        with django_capture_on_commit_callbacks(execute=True):
            client.post(f"/exchange/import/{batch.pk}/commit/")
        assert (Stage.CHECKING, 4, 4) in reports
        assert reports[-1] == (Stage.WRITING, 2, 2)  # the two good rows, written
        assert job_progress_get(batch_id=batch.pk) is None  # cleared when done

    def test_a_failed_batch_says_so(self, world, client):
        client.force_login(world.user("principal"))
        _upload(client, world.school, _register())
        ImportBatch.objects.update(status=ImportStatus.FAILED, error="出错了")
        page = client.get(f"/exchange/import/{ImportBatch.objects.get().pk}/").content.decode()
        assert "导入失败" in page and "出错了" in page and "重新上传" in page

    def test_a_village_import_links_to_the_villages_children(self, world):
        assert children_url(world.village) == f"/children/?org={world.village.code}"
        assert children_url(world.school) == f"/children/?school={world.school.pk}"


class TestConfirmRefused:
    def test_a_second_confirm_does_not_import_again(
        self, world, client, django_capture_on_commit_callbacks
    ):
        client.force_login(world.user("principal"))
        _upload(client, world.school, _register())
        batch = ImportBatch.objects.get()
        with django_capture_on_commit_callbacks(execute=True):
            client.post(f"/exchange/import/{batch.pk}/commit/")
        with django_capture_on_commit_callbacks(execute=True) as queued:
            again = client.post(f"/exchange/import/{batch.pk}/commit/", follow=True)
        assert not queued and Child.objects.filter(name="刘一").count() == 1
        assert "已经导入，没有再次导入" in again.content.decode()

    def test_two_clicks_before_the_worker_queue_one_job(
        self, world, client, django_capture_on_commit_callbacks
    ):
        client.force_login(world.user("principal"))
        _upload(client, world.school, _register())
        batch = ImportBatch.objects.get()
        with django_capture_on_commit_callbacks() as queued:
            client.post(f"/exchange/import/{batch.pk}/commit/")
            client.post(f"/exchange/import/{batch.pk}/commit/")
        assert len(queued) == 1
        queued[0]()
        assert Child.objects.filter(name="刘一").count() == 1

    def test_a_cancelled_batch_is_not_imported(
        self, world, client, django_capture_on_commit_callbacks
    ):
        client.force_login(world.user("principal"))
        _upload(client, world.school, _register())
        batch = ImportBatch.objects.get()
        client.post(f"/exchange/import/{batch.pk}/cancel/")
        with django_capture_on_commit_callbacks(execute=True) as queued:
            response = client.post(f"/exchange/import/{batch.pk}/commit/", follow=True)
        assert response.status_code == 200 and not queued
        assert "这次导入已取消" in response.content.decode()
        batch.refresh_from_db()
        assert batch.status == ImportStatus.CANCELLED
        assert not Child.objects.filter(name="刘一").exists()

    def test_an_expired_upload_is_refused_and_deleted(
        self, world, client, django_capture_on_commit_callbacks
    ):
        client.force_login(world.user("principal"))
        _upload(client, world.school, _register())
        batch = ImportBatch.objects.get()
        stored = Path(settings.MEDIA_ROOT) / batch.file.name
        old = timezone.now() - dt.timedelta(hours=settings.IMPORT_UPLOAD_HOURS, minutes=1)
        ImportBatch.objects.filter(pk=batch.pk).update(created_at=old)
        with django_capture_on_commit_callbacks(execute=True) as queued:
            response = client.post(f"/exchange/import/{batch.pk}/commit/", follow=True)
        assert response.status_code == 200 and not queued
        page = response.content.decode()
        assert "导入失败，没有写入任何数据" in page and "小时未完成导入" in page
        batch.refresh_from_db()
        assert batch.status == ImportStatus.FAILED and batch.file.name == ""
        assert not stored.exists() and not Child.objects.filter(name="刘一").exists()

    def test_an_upload_gone_from_the_disk_is_refused(
        self, world, client, django_capture_on_commit_callbacks
    ):
        client.force_login(world.user("principal"))
        _upload(client, world.school, _register())
        batch = ImportBatch.objects.get()
        (Path(settings.MEDIA_ROOT) / batch.file.name).unlink()
        with django_capture_on_commit_callbacks(execute=True) as queued:
            response = client.post(f"/exchange/import/{batch.pk}/commit/", follow=True)
        assert not queued and "上传的文件已删除，请重新上传" in response.content.decode()
        batch.refresh_from_db()
        assert batch.status == ImportStatus.FAILED

    def test_a_commit_that_fails_writes_nothing_and_says_so_in_chinese(
        self, world, client, monkeypatch, django_capture_on_commit_callbacks
    ):
        client.force_login(world.user("principal"))
        _upload(client, world.school, _register())
        batch = ImportBatch.objects.get()
        before = Child.objects.count()

        written: list[bool] = []

        def broken(self, *args, **kwargs):  # the commit's last write, after every child's
            written.append(Child.objects.filter(name="刘一").exists())
            raise RuntimeError("disk full")

        monkeypatch.setattr(ImportBatch, "save", broken)
        with django_capture_on_commit_callbacks(execute=True):
            client.post(f"/exchange/import/{batch.pk}/commit/")
        monkeypatch.undo()
        response = client.get(f"/exchange/import/{batch.pk}/")
        assert response.status_code == 200
        page = response.content.decode()
        assert "导入失败，没有写入任何数据" in page and "处理时出现意外错误" in page
        assert "disk full" not in page and "RuntimeError" not in page
        batch.refresh_from_db()
        assert batch.status == ImportStatus.FAILED and batch.file.name == ""
        assert written == [True]  # the children were written, then rolled back
        assert Child.objects.count() == before and not Child.objects.filter(name="刘一").exists()


class TestPreviewKeptOnTheBatch:
    def test_the_preview_and_the_error_workbook_never_validate_the_file_again(
        self, world, client, monkeypatch
    ):
        from carenet.exchange import importer, tasks, uploads

        calls: list[str] = []
        checked = uploads.import_preview_checked

        def counted(**kwargs):
            calls.append(kwargs["filename"])
            return checked(**kwargs)

        monkeypatch.setattr(uploads, "import_preview_checked", counted)
        client.force_login(world.user("principal"))
        _upload(client, world.school, _register())
        assert calls == ["花名册.csv"]  # validated once, when uploaded
        batch = ImportBatch.objects.get()

        def validated(**kwargs):
            raise AssertionError("the file was validated again")

        for module, name in (
            (uploads, "import_preview_checked"),
            (tasks, "import_preview"),
            (importer, "import_preview"),
            (importer, "import_preview_checked"),
        ):
            monkeypatch.setattr(module, name, validated)
        # And the stored file cannot be read any more.
        (Path(settings.MEDIA_ROOT) / batch.file.name).write_bytes(b"not the upload")

        for _ in range(2):
            page = client.get(f"/exchange/import/{batch.pk}/")
            assert page.status_code == 200
            text = page.content.decode()
            assert "第 5 行" in text and "第 6 行" in text and "身份证号" in text
            assert _text(text, "counts").split() == [
                "新建", "2", "更新", "0", "无变化", "0", "跳过（空行、表尾）", "0", "拒绝", "2",
            ]  # fmt: skip
            errors = client.get(f"/exchange/import/{batch.pk}/errors/")
            assert errors.status_code == 200
            rows = CalamineWorkbook.from_filelike(io.BytesIO(errors.content))
            cells = rows.get_sheet_by_index(0).to_python()
            assert cells[0][:5] == ["序号", "姓名", "性别", "出生日期", "身份证号"]
            assert cells[0][-1] == "错误原因"
            assert [row[1] for row in cells[1:]] == ["错三", ""]
            assert BAD_ID in str(cells[1]) and "第5行" in cells[1][-1]
        assert calls == ["花名册.csv"]

    def test_the_batch_keeps_the_counts_header_mapping_and_rejected_rows(self, world, client):
        client.force_login(world.user("principal"))
        _upload(client, world.school, _register())
        kept = ImportBatch.objects.get().summary
        assert (kept["created"], kept["updated"], kept["unchanged"], kept["skipped"]) == (
            2,
            0,
            0,
            0,
        )
        assert dict(kept["columns"])[4] == "id_number"
        assert dict(kept["headers"])[4] == "身份证号"
        assert kept["header_cells"][0][4] == "身份证号"
        assert [r["row"] for r in kept["rejected_rows"]] == [5, 6]
        assert kept["rejected_rows"][0]["cells"][4] == BAD_ID
        assert kept["rejected_rows"][0]["errors"][0][0] == "id_number"


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
