"""The web import on a phone, in Chromium: upload → preview → 确认导入 → the page follows
the job (htmx polling) → the result, with the link to the children imported."""

from __future__ import annotations

import datetime as dt

import pytest

from carenet.exchange import views
from carenet.exchange.models import ImportBatch, ImportStatus
from carenet.exchange.tasks import import_batch_process
from carenet.lib.idcard import make_id_number
from tests.browser import BROWSER_MARKS, PHONE, phone_page
from tests.factories import PASSWORD, world_build

pytestmark = BROWSER_MARKS

GOOD_1 = make_id_number("340827", dt.date(2016, 5, 6), 921, "M")
GOOD_2 = make_id_number("340827", dt.date(2016, 7, 8), 923, "F")
BAD_ID = GOOD_1[:-1] + ("0" if GOOD_1[-1] != "0" else "1")


def _register() -> bytes:
    lines = [
        "序号,姓名,性别,出生日期,身份证号,年级,班级,父亲姓名,父亲联系电话",
        f"1,刘一,男,2016-05-06,{GOOD_1},一年级,一(1)班,刘大,13800001111",
        f"2,陈二,女,2016/7/8,{GOOD_2},一年级,一(1)班,陈大,13800002222",
        f"3,错三,男,2016-05-06,{BAD_ID},一年级,一(1)班,,",
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


@pytest.fixture
def page():
    with phone_page() as tab:
        yield tab


@pytest.fixture
def slow_worker(monkeypatch) -> list[int]:
    """The queue worker, slower than the page: 确认导入 queues nothing, and the job runs
    (in the server) when the page first asks how far it has got."""
    queued: list[int] = []
    real = views.batch_progress
    monkeypatch.setattr(views, "import_batch_enqueue", lambda batch: queued.append(batch.pk))

    def progress(batch):
        if batch.pk in queued and batch.status == ImportStatus.QUEUED and batch.pk in seen:
            queued.remove(batch.pk)
            import_batch_process(batch.pk)  # the status poll sees it finished next time
        seen.add(batch.pk)
        return real(batch)

    seen: set[int] = set()
    monkeypatch.setattr(views, "batch_progress", progress)
    return queued


def test_a_principal_on_a_phone_confirms_an_import_and_follows_it_to_the_result(
    live_server, page, transactional_db, slow_worker
):
    world = world_build()
    base = live_server.url
    page.goto(base + "/")
    page.fill("input[name=username]", "principal")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url(base + "/")

    page.goto(base + "/exchange/import/")
    page.set_input_files(
        "input[name=file]",
        files=[{"name": "花名册.csv", "mimeType": "text/csv", "buffer": _register()}],
    )
    page.get_by_role("button", name="上传并预览").click()
    page.wait_for_url(f"{base}/exchange/import/*/")
    batch = ImportBatch.objects.get()
    assert "尚未写入任何数据" in page.locator("body").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    page.get_by_role("button", name="确认导入").click()
    page.wait_for_url(f"{base}/exchange/import/{batch.pk}/")
    assert "尚未写入任何数据" not in page.locator("body").inner_text()
    # The page polls; the job runs meanwhile; the page goes to the result by itself.
    result = page.locator("#result")
    result.wait_for(timeout=15_000)
    text = " ".join(result.inner_text().split())
    assert "新建 2" in text and "未导入 1" in text, text
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    batch.refresh_from_db()
    assert batch.status == ImportStatus.COMPLETE and not slow_worker

    page.get_by_role("link", name=f"查看{world.school.name}的儿童名单").click()
    page.wait_for_url(f"{base}/children/?school={world.school.pk}")
    names = page.locator("body").inner_text()
    assert "刘一" in names and "陈二" in names and "错三" not in names
