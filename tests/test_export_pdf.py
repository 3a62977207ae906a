"""The printable register (花名册) as PDF: the export's rows, scope, masking and log."""

from __future__ import annotations

import datetime as dt
import subprocess

import pytest

from carenet.audit.models import AccessAction, AccessLog
from carenet.children.access import visible_children
from carenet.children.models import Child
from carenet.exchange import export
from carenet.exchange.export import REGISTER_COLUMNS, column_groups, register_rows
from carenet.orgs.selectors import visible_orgs
from tests.factories import child_add

pytestmark = pytest.mark.django_db

URL = "/exchange/export/register.pdf"
ROLES = [
    "county_admin",
    "township_supervisor",
    "village_director",
    "principal",
    "teacher",
    "stranger_teacher",
    "nobody",
]


def pdf_text(content: bytes, *, page: int | None = None) -> str:
    assert content.startswith(b"%PDF")
    pages = ["-f", str(page), "-l", str(page)] if page else []
    out = subprocess.run(
        ["pdftotext", "-layout", *pages, "-", "-"], input=content, capture_output=True, check=True
    )
    return out.stdout.decode()


def pdf_info(content: bytes) -> dict[str, str]:
    out = subprocess.run(["pdfinfo", "-"], input=content, capture_output=True, check=True)
    return dict(
        (key.strip(), value.strip())
        for key, value in (line.split(":", 1) for line in out.stdout.decode().splitlines())
    )


def test_the_pdf_holds_the_registers_rows_masked_by_default(world, client):
    client.force_login(world.user("county_admin"))
    response = client.get(URL, {"org": world.county.pk})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    text = pdf_text(response.content)
    assert "望江县留守儿童花名册" in text
    masked = list(register_rows(Child.objects.all(), unmasked=False))
    for row in masked:
        name = row[REGISTER_COLUMNS.index("姓名")]
        id_number = row[REGISTER_COLUMNS.index("身份证号")]
        assert name in text and id_number in text, name
    for child in Child.objects.all():
        assert child.id_number not in text
    assert "138****5678" in text and "13812345678" not in text
    assert "身份证号和电话已打码" in text


def test_every_column_group_is_printed_a4_landscape(world, client):
    client.force_login(world.user("principal"))
    response = client.get(URL, {"org": world.school.pk})
    info = pdf_info(response.content)
    assert "A4" in info["Page size"]
    width, height = (float(v) for v in info["Page size"].split("pts")[0].split(" x "))
    assert width > height  # landscape
    groups = column_groups()
    assert int(info["Pages"]) == len(groups)
    for number, group in enumerate(groups, start=1):
        page = pdf_text(response.content, page=number)
        assert f"第 {number} 部分，共 {len(groups)} 部分" in page
        assert "序号" in page and "姓名" in page and "王子涵" in page
        # The group's last column heading (long headings wrap: their first characters).
        assert REGISTER_COLUMNS[group[-1]][:2] in page


def test_the_header_row_is_repeated_on_every_page(world, client):
    for index in range(70):
        child_add(world.class_1, name=f"学生{index:02d}", father_away=dt.date(2025, 1, 1))
    client.force_login(world.user("principal"))
    response = client.get(URL, {"org": world.school.pk})
    pages = int(pdf_info(response.content)["Pages"])
    assert pages > len(column_groups())  # each group runs over more than one page
    for number in range(1, pages + 1):
        page = pdf_text(response.content, page=number)
        assert "序号" in page and "姓名" in page, f"page {number} has no header row"
    text = pdf_text(response.content)
    assert all(f"学生{index:02d}" in text for index in range(70))


def test_the_pdf_is_logged_like_the_other_formats(world, client):
    client.force_login(world.user("principal"))
    client.get(URL, {"org": world.school.pk})
    entry = AccessLog.objects.get(action=AccessAction.EXPORT)
    assert entry.user == world.user("principal")
    assert entry.detail == "花名册 3434000001 pdf 3 人"
    assert entry.county_code == "340827"


def test_unmasked_pdfs_show_full_numbers_only_with_contacts_and_say_so(world, client):
    client.force_login(world.user("principal"))
    response = client.get(URL, {"org": world.school.pk, "unmasked": "on"})
    text = pdf_text(response.content)
    assert world.own_child.id_number in text and "13812345678" in text
    assert "已打码" not in text
    assert AccessLog.objects.get(action=AccessAction.EXPORT).detail.endswith("（未打码）")
    # A township supervisor may not see contacts: the unmasked register holds nobody.
    client.force_login(world.user("township_supervisor"))
    text = pdf_text(client.get(URL, {"org": world.township.pk, "unmasked": "on"}).content)
    assert "王子涵" not in text and world.own_child.id_number not in text
    assert "没有儿童" in text


@pytest.mark.parametrize("role", ROLES)
def test_the_pdf_answers_only_for_visible_orgs(world, client, role):
    user = world.user(role)
    client.force_login(user)
    visible = set(visible_children(user).values_list("name", flat=True))
    everyone = set(Child.objects.values_list("name", flat=True))
    seen = set(visible_orgs(user).values_list("pk", flat=True))
    for org in (world.county, world.township, world.other_township, world.school, world.class_1):
        response = client.get(URL, {"org": org.pk})
        expected = 200 if org.pk in seen else 404
        assert response.status_code == expected, f"{role} {org}: {response.status_code}"
        if expected == 200:
            text = pdf_text(response.content)
            assert {n for n in everyone if n in text} <= visible
    tried = {o.pk for o in (world.county, world.township, world.other_township, world.school)}
    tried.add(world.class_1.pk)
    assert AccessLog.objects.filter(action=AccessAction.EXPORT).count() == len(tried & seen)


def test_a_bad_org_is_not_found_and_no_org_goes_to_the_export_page(world, client):
    client.force_login(world.user("principal"))
    assert client.get(URL, {"org": "abc"}).status_code == 404
    assert client.get(URL, {"org": world.other_school.pk}).status_code == 404
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"] == "/exchange/export/"
    assert not AccessLog.objects.exists()


def test_a_register_too_large_to_print_is_refused_before_layout(world, client, monkeypatch):
    monkeypatch.setattr(export, "PDF_MAX_ROWS", 2)
    client.force_login(world.user("principal"))
    response = client.get(URL, {"org": world.school.pk})  # 3 children
    assert response.status_code == 400
    assert "打印版最多 2 名儿童" in response.content.decode()
    assert not AccessLog.objects.exists()


def test_the_export_page_has_a_pdf_button_for_the_same_form(world, client):
    client.force_login(world.user("teacher"))
    body = client.get("/exchange/export/").content.decode()
    assert f'formaction="{URL}"' in body


def test_anonymous_users_are_sent_to_log_in(client, world):
    response = client.get(URL, {"org": 1})
    assert response.status_code == 302 and "/login/" in response["Location"]
