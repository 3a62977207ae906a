"""A web import's upload: read in a child process, kept encrypted (0600) only while its
import needs it, deleted when committed, cancelled, failed or abandoned, never backed up;
the preview and the error workbook come from what the batch keeps."""

from __future__ import annotations

import datetime as dt
import io
import os
import stat
import tarfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone
from python_calamine import CalamineWorkbook

from carenet.children.models import Child
from carenet.exchange import reading
from carenet.exchange.models import ImportBatch, ImportStatus
from carenet.exchange.uploads import import_uploads_expire
from carenet.lib.idcard import make_id_number

GOOD = make_id_number("340827", dt.date(2016, 5, 6), 911, "M")
BAD = GOOD[:-1] + ("0" if GOOD[-1] != "0" else "1")
PHONE = "13800001111"


def _register() -> bytes:
    lines = [
        "序号,姓名,性别,出生日期,身份证号,年级,班级,父亲姓名,父亲联系电话",
        f"1,刘一,男,2016-05-06,{GOOD},一年级,一(1)班,刘大,{PHONE}",
        f"2,错三,男,2016-05-06,{BAD},一年级,一(1)班,,",
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _upload(client, school, data: bytes | None = None, name: str = "花名册.csv"):
    upload = SimpleUploadedFile(name, data or _register(), content_type="text/csv")
    return client.post("/exchange/import/", {"school": school.pk, "file": upload})


def _stored() -> list[Path]:
    folder = Path(settings.MEDIA_ROOT) / "imports"
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


@pytest.fixture
def pending(world, client) -> ImportBatch:
    client.force_login(world.user("principal"))
    assert _upload(client, world.school).status_code == 302
    return ImportBatch.objects.get()


class TestWhilePending:
    def test_the_upload_is_stored_encrypted_with_mode_0600(self, pending):
        (path,) = _stored()
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        content = path.read_bytes()
        for secret in (GOOD, BAD, PHONE, "刘一"):
            assert secret.encode("utf-8") not in content, secret
            assert secret.encode("utf-16-le") not in content, secret
        assert "花名册" not in path.name

    def test_the_preview_and_the_error_workbook_do_not_need_the_file(self, pending, client):
        for path in _stored():
            path.unlink()
        page = client.get(f"/exchange/import/{pending.pk}/").content.decode()
        assert "第 3 行" in page and "确认导入" in page
        errors = client.get(f"/exchange/import/{pending.pk}/errors/")
        rows = CalamineWorkbook.from_filelike(io.BytesIO(errors.content)).get_sheet_by_index(0)
        assert BAD in str(rows.to_python())

    def test_the_kept_preview_holds_no_id_number_in_clear(self, pending):
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT summary FROM exchange_importbatch")
            (stored,) = cursor.fetchone()
        assert stored.startswith("v1:") and BAD not in stored


class TestDeleted:
    def test_after_commit_no_upload_remains_and_the_errors_still_download(
        self, pending, client, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(f"/exchange/import/{pending.pk}/commit/")
        pending.refresh_from_db()
        assert pending.status == ImportStatus.COMPLETE, pending.error
        assert _stored() == [] and pending.file.name == ""
        errors = client.get(f"/exchange/import/{pending.pk}/errors/")
        assert errors.status_code == 200 and errors.content.startswith(b"PK")

    def test_after_a_failed_job_no_upload_remains(
        self, pending, client, monkeypatch, django_capture_on_commit_callbacks
    ):
        from carenet.exchange import tasks

        def broken(**kwargs):
            raise RuntimeError("disk full")

        monkeypatch.setattr(tasks, "import_commit", broken)
        with django_capture_on_commit_callbacks(execute=True):
            client.post(f"/exchange/import/{pending.pk}/commit/")
        pending.refresh_from_db()
        assert pending.status == ImportStatus.FAILED and _stored() == []

    def test_after_cancel_no_upload_remains_and_nothing_is_imported(self, pending, client):
        response = client.post(f"/exchange/import/{pending.pk}/cancel/")
        assert response.status_code == 302
        pending.refresh_from_db()
        assert pending.status == ImportStatus.CANCELLED and _stored() == []
        assert client.post(f"/exchange/import/{pending.pk}/commit/").status_code == 302
        assert not Child.objects.filter(name="刘一").exists()

    def test_cancel_is_refused_to_who_does_not_manage_the_school(self, pending, client, world):
        client.force_login(world.user("stranger_teacher"))
        assert client.post(f"/exchange/import/{pending.pk}/cancel/").status_code == 404
        client.force_login(world.user("teacher"))
        assert client.post(f"/exchange/import/{pending.pk}/cancel/").status_code == 404
        assert len(_stored()) == 1
        assert client.get(f"/exchange/import/{pending.pk}/cancel/").status_code in (404, 405)

    def test_an_abandoned_upload_is_deleted_and_its_batch_failed(self, pending, world, client):
        _upload(client, world.school)  # a second, recent one stays
        recent = ImportBatch.objects.exclude(pk=pending.pk).get()
        old = timezone.now() - dt.timedelta(hours=settings.IMPORT_UPLOAD_HOURS + 1)
        ImportBatch.objects.filter(pk=pending.pk).update(created_at=old)
        result = import_uploads_expire(now=timezone.now(), hours=settings.IMPORT_UPLOAD_HOURS)
        assert (result.abandoned, result.files) == (1, 1)
        pending.refresh_from_db()
        assert pending.status == ImportStatus.FAILED and "小时" in pending.error
        assert pending.summary == {}  # the kept rejected rows go too
        assert [p.name for p in _stored()] == [Path(recent.file.name).name]
        again = import_uploads_expire(now=timezone.now(), hours=settings.IMPORT_UPLOAD_HOURS)
        assert (again.abandoned, again.files) == (0, 0)

    def test_a_confirmed_batch_the_worker_never_took_is_closed_too(self, pending, client):
        from carenet.exchange.tasks import import_batch_process

        ImportBatch.objects.filter(pk=pending.pk).update(status=ImportStatus.QUEUED)
        old = timezone.now() - dt.timedelta(hours=settings.IMPORT_UPLOAD_HOURS + 1)
        ImportBatch.objects.filter(pk=pending.pk).update(created_at=old)
        result = import_uploads_expire(now=timezone.now(), hours=settings.IMPORT_UPLOAD_HOURS)
        assert (result.abandoned, result.files) == (1, 1)
        import_batch_process(pending.pk)  # the job comes too late: it does nothing
        pending.refresh_from_db()
        assert pending.status == ImportStatus.FAILED and _stored() == []
        assert not Child.objects.filter(name="刘一").exists()

    def test_the_retention_command_deletes_abandoned_uploads_and_stray_files(self, pending, capsys):
        stray = Path(settings.MEDIA_ROOT) / "imports" / "left-by-a-crash.bin"
        stray.write_bytes(b"x")
        old = timezone.now() - dt.timedelta(hours=settings.IMPORT_UPLOAD_HOURS + 1)
        os.utime(stray, (old.timestamp(), old.timestamp()))
        ImportBatch.objects.update(created_at=old)
        call_command("retention")
        assert "1 abandoned import(s)" in capsys.readouterr().out
        assert _stored() == []


@pytest.mark.django_db(transaction=True)
def test_a_backup_made_while_an_upload_is_pending_holds_no_upload(tmp_path, client):
    from carenet.ops.backup import backup_create
    from tests.factories import world_build

    world = world_build()
    client.force_login(world.user("principal"))
    assert _upload(client, world.school).status_code == 302
    assert len(_stored()) == 1
    archive = backup_create(tmp_path / "backup.tar.gz").path
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        contents = [tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()]
    assert not [n for n in names if n.startswith("media/imports")]
    for content in contents:
        assert GOOD.encode() not in content and BAD.encode() not in content


class TestIsolatedReading:
    def test_a_reader_that_aborts_ends_only_its_child(self, world, client, monkeypatch):
        def abort(data):
            os.abort()

        monkeypatch.setattr(reading, "check_xlsx", lambda data: None)  # passes the checks
        monkeypatch.setattr(reading, "_read_excel", abort)
        client.force_login(world.user("principal"))
        response = _upload(client, world.school, b"PK\x03\x04" + bytes(100), "x.xlsx")
        assert response.status_code == 200  # we are still here: only the child died
        assert "读取时占用内存过多或文件已损坏" in response.content.decode()
        assert not ImportBatch.objects.exists() and _stored() == []
        assert client.get("/exchange/import/").status_code == 200

    def test_a_reader_that_allocates_gigabytes_is_stopped_in_its_child(
        self, world, client, monkeypatch
    ):
        monkeypatch.setattr(reading, "check_xlsx", lambda data: None)

        def greedy(data):
            return [bytearray(4 << 30)]

        monkeypatch.setattr(reading, "_read_excel", greedy)
        client.force_login(world.user("principal"))
        response = _upload(client, world.school, b"PK\x03\x04" + bytes(100), "x.xlsx")
        assert "占用内存过多" in response.content.decode()
        assert client.get("/exchange/import/").status_code == 200

    def test_a_hostile_file_gets_a_clean_page_and_the_server_keeps_serving(self, world, client):
        from tests.hostile_files import far_corner

        client.force_login(world.user("principal"))
        response = _upload(client, world.school, far_corner(), "花名册.xlsx")
        assert response.status_code == 200 and "表格范围过大" in response.content.decode()
        assert client.get("/exchange/import/").status_code == 200
