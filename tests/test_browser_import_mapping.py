"""列对应 on a phone, in Chromium: a register whose guardian's phone is under a header
CareNet does not know; the principal says what the column is, checks again, imports —
and the next register with that header at the school gets the choice by itself."""

from __future__ import annotations

import pytest

from carenet.children.models import Child
from carenet.exchange.models import ColumnMapping, ImportBatch, ImportStatus
from tests.browser import BROWSER_MARKS, PHONE, phone_page
from tests.factories import PASSWORD, world_build
from tests.import_files import SIMPLE_HEADER, an_id, simple_row, xlsx

pytestmark = BROWSER_MARKS

EMERGENCY = "紧急联系人电话"
HEADER = [*SIMPLE_HEADER[:-1], EMERGENCY]
COLUMN = len(HEADER) - 1
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _register(*rows: tuple[str, str]) -> bytes:
    """A register with the guardian's phone under 紧急联系人电话: (name, that cell)."""
    lines = [[*simple_row(n, name, an_id())[:-1], phone] for n, (name, phone) in enumerate(rows, 1)]
    return xlsx([HEADER, *lines])


@pytest.fixture
def page():
    with phone_page() as tab:
        yield tab


def _upload(page, base: str, name: str, data: bytes) -> None:
    page.goto(base + "/exchange/import/")
    page.set_input_files(
        "input[name=file]", files=[{"name": name, "mimeType": XLSX, "buffer": data}]
    )
    page.get_by_role("button", name="上传并预览").click()
    page.wait_for_url(f"{base}/exchange/import/*/")


def _counts(page) -> str:
    return " ".join(page.locator("#counts").inner_text().split())


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_principal_maps_an_unknown_column_on_a_phone_and_the_school_keeps_the_choice(
    live_server, page, transactional_db
):
    world = world_build()
    base = live_server.url
    page.goto(base + "/")
    page.fill("input[name=username]", "principal")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url(base + "/")

    # 乙's cell is no phone: not used, it rejects nothing; as the guardian's phone, it will.
    _upload(page, base, "花名册.xlsx", _register(("甲", "13911112222"), ("乙", "不是电话")))
    assert "新建 2" in _counts(page) and "拒绝 0" in _counts(page), _counts(page)
    mapping = page.locator("#mapping")
    assert mapping.get_attribute("open") is None  # every required column was recognised
    page.locator("#mapping > summary").click()
    column = page.locator(f"#mapping li[data-column='{COLUMN}']")
    assert EMERGENCY in column.inner_text() and "未使用" in column.inner_text()
    select = column.locator("select")
    assert select.input_value() == ""
    assert select.bounding_box()["height"] >= 44  # a finger's tap
    assert _fits(page)

    select.select_option(label="监护人·联系电话")
    page.get_by_role("button", name="重新核对").click()
    page.wait_for_load_state()
    assert "已按新的列对应重新核对" in page.locator("body").inner_text()
    assert "新建 1" in _counts(page) and "拒绝 1" in _counts(page), _counts(page)
    assert EMERGENCY in page.locator("#rejected").inner_text()
    page.locator("#mapping > summary").click()
    column = page.locator(f"#mapping li[data-column='{COLUMN}']")
    assert "您的选择" in column.inner_text()
    assert column.locator("select").input_value() == "guardian.phone"
    assert _fits(page)

    batch = ImportBatch.objects.get()
    page.get_by_role("button", name="确认导入").click()
    page.wait_for_url(f"{base}/exchange/import/{batch.pk}/")
    page.locator("#result").wait_for(timeout=15_000)
    batch.refresh_from_db()
    assert (batch.status, batch.created, batch.rejected) == (ImportStatus.COMPLETE, 1, 1)
    guardian = Child.objects.get(name="甲").family.get(relation="guardian")
    assert guardian.phone == "13911112222"
    assert not Child.objects.filter(name="乙").exists()
    assert ColumnMapping.objects.get(org=world.school).mapping[EMERGENCY] == "guardian.phone"

    # The next register with that header, at the same school: the choice is applied.
    _upload(page, base, "花名册二.xlsx", _register(("丙", "13922223333")))
    assert "新建 1" in _counts(page), _counts(page)
    assert "1 列按上次的选择" in page.locator("#mapping summary").inner_text()
    page.locator("#mapping > summary").click()
    column = page.locator(f"#mapping li[data-column='{COLUMN}']")
    assert "上次的选择" in column.inner_text()
    assert column.locator("select").input_value() == "guardian.phone"
    assert _fits(page)
    second = ImportBatch.objects.get(status=ImportStatus.PENDING)
    page.get_by_role("button", name="确认导入").click()
    page.wait_for_url(f"{base}/exchange/import/{second.pk}/")
    page.locator("#result").wait_for(timeout=15_000)
    assert Child.objects.get(name="丙").family.get(relation="guardian").phone == "13922223333"
