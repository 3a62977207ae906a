"""The year's work plan (工作计划) written from the care plan in force: targets in words
and numbers, measures at the plan's frequencies, the months from September to July with
festivals (lunar dates), home-visit months and term ends; .docx and PDF; the web page."""

import datetime as dt
import io
import subprocess
import zoneinfo

import docx
import pytest
import time_machine

from carenet.audit.models import AccessLog
from carenet.care.presets import preset_plan
from carenet.children.models import Child
from carenet.reports.documents import Format, document_file
from carenet.reports.layout import workplan_document
from carenet.reports.workplan import home_visit_days, lunar_label, work_plan_build

pytestmark = pytest.mark.django_db

TODAY = dt.datetime(2026, 11, 20, 10, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))
HEADINGS = ("指导思想", "工作目标", "主要措施", "工作安排")
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def school_plan(world):
    """华阳小学's own plan for 2026: monthly talks, home visits at term start, middle and
    end, a filing target of 100 % and an immunization target of 90 %."""
    plan = preset_plan("monthly_talks", org=world.school, school_year=2026)
    plan.targets = {"filing_rate": 100, "immunization_rate": 90}
    plan.leading_group = {"leader": "张校长", "members": ["李主任", "各班主任"]}
    plan.schedule = [{"month": 5, "items": ["给外出务工的父母写一封信"]}]
    plan.save()
    return plan


def _month(plan, year: int, month: int) -> str:
    found = next(m for m in plan.months if (m.year, m.month) == (year, month))
    return "\n".join(found.items)


def test_lunar_dates_read_as_on_a_calendar():
    assert lunar_label(dt.date(2026, 9, 25)) == "农历八月十五"
    assert lunar_label(dt.date(2027, 2, 6)) == "农历正月初一"
    assert lunar_label(dt.date(2027, 2, 20)) == "农历正月十五"
    assert lunar_label(dt.date(2027, 6, 9)) == "农历五月初五"


def test_home_visits_fall_at_term_start_middle_and_end():
    days = home_visit_days("term_start_middle_end", 2026)
    assert days == [
        dt.date(2026, 9, 15),
        dt.date(2026, 11, 8),
        dt.date(2027, 1, 15),
        dt.date(2027, 3, 1),
        dt.date(2027, 4, 26),
        dt.date(2027, 7, 5),
    ]
    assert home_visit_days("quarterly", 2026) == [
        dt.date(2026, 10, 1),
        dt.date(2027, 1, 1),
        dt.date(2027, 3, 15),
        dt.date(2027, 6, 15),
    ]
    assert home_visit_days("none", 2026) == []


def test_the_plan_states_the_targets_and_the_frequencies_of_the_plan_in_force(world, school_plan):
    plan = work_plan_build(
        org=world.class_1, school_year=2026, children=Child.objects.all()
    )  # inherited from the school
    assert plan.configured and plan.plan.pk == school_plan.pk
    assert plan.title == "一(1)班2026—2027学年关爱留守儿童工作计划"
    assert plan.goals[0] == "建档率达到100%。"
    assert plan.goals[1] == "计划免疫接种率达到90%。"
    assert "每位代理家长结对5至7名留守儿童" in plan.goals[2]
    measures = dict(plan.measures)
    care = measures["家校联系和谈心"]
    assert "代理家长每月与结对的留守儿童谈心一次" in care
    assert "在期初、期中、期末各对留守儿童进行家访一次" in care
    assert "家书" not in care and "写一封信" not in care  # letters: not scheduled (none)
    assert "组长：张校长" in measures["成立组织，加强领导"]
    assert "本班现有留守儿童1名" in plan.guiding[1]  # 王子涵


def test_the_months_run_from_september_to_july_with_festivals_and_visits(world, school_plan):
    plan = work_plan_build(org=world.school, school_year=2026, children=Child.objects.all())
    assert [(m.year, m.month) for m in plan.months] == [
        (2026, 9),
        (2026, 10),
        (2026, 11),
        (2026, 12),
        (2027, 1),
        (2027, 2),
        (2027, 3),
        (2027, 4),
        (2027, 5),
        (2027, 6),
        (2027, 7),
    ]
    september = _month(plan, 2026, 9)
    assert "9月1日开学" in september
    assert "中秋节（农历八月十五，9月25日）" in september
    assert "教师节（9月10日）" in september
    assert "家访" in september
    assert "家访" not in _month(plan, 2026, 10)
    assert "家访" in _month(plan, 2026, 11)
    january = _month(plan, 2027, 1)
    assert "1月15日学期结束：撰写学期工作总结" in january
    assert "春节（农历正月初一，2月6日）" in _month(plan, 2027, 2)
    assert "2月15日开学" in _month(plan, 2027, 2)
    assert "给外出务工的父母写一封信" in _month(plan, 2027, 5)
    assert "端午节（农历五月初五，6月9日）" in _month(plan, 2027, 6)
    assert "7月5日学期结束" in _month(plan, 2027, 7)


def test_without_a_saved_plan_the_county_default_is_used_and_said(world):
    plan = work_plan_build(org=world.school, school_year=2026, children=Child.objects.all())
    assert not plan.configured
    text = workplan_document(plan).text()
    assert "未保存本学年的工作计划" in text
    assert "每周与结对的留守儿童谈心一次" in text  # the default preset: weekly talks
    assert "每季度对留守儿童进行家访一次" in text


def test_the_figure_it_quotes_follows_the_scope(world):
    from carenet.children.access import visible_children

    assert (
        work_plan_build(org=world.county, school_year=2026, children=Child.objects.all()).in_care
        == 4
    )
    principal = visible_children(world.user("principal"))
    assert work_plan_build(org=world.county, school_year=2026, children=principal).in_care == 2


def test_the_docx_and_the_pdf_say_the_same(world, school_plan, tmp_path):
    layout = workplan_document(
        work_plan_build(org=world.school, school_year=2026, children=Child.objects.all())
    )
    content = document_file(layout, Format.DOCX, stem="plan").content
    document = docx.Document(io.BytesIO(content))
    paragraphs = "\n".join(p.text for p in document.paragraphs)
    assert "华阳小学2026—2027学年关爱留守儿童工作计划" in paragraphs
    for heading in HEADINGS:
        assert heading in paragraphs
    [table] = document.tables
    assert len(table.rows) == 12  # header and September … July
    assert table.rows[1].cells[0].text == "2026年9月"
    assert "中秋节" in table.rows[1].cells[1].text
    pdf = document_file(layout, Format.PDF, stem="plan").content
    path = tmp_path / "plan.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True)
    squashed = "".join(text.stdout.decode("utf-8").split())
    for heading in HEADINGS:
        assert heading in squashed
    assert "建档率达到100%" in squashed
    assert "中秋节（农历八月十五，9月25日）" in squashed


# --- web ------------------------------------------------------------------------------


def test_a_principal_downloads_both_formats(world, school_plan, client, tmp_path):
    client.force_login(world.user("principal"))
    page = client.get("/reports/plan/")
    assert page.status_code == 200
    assert "2026—2027学年" in page.content.decode()
    data = {"org": world.school.pk, "school_year": 2026}
    response = client.post("/reports/plan/", {**data, "format": "docx"})
    assert response.status_code == 200 and response["Content-Type"] == DOCX_TYPE
    paragraphs = [p.text for p in docx.Document(io.BytesIO(response.content)).paragraphs]
    assert "华阳小学2026—2027学年关爱留守儿童工作计划" in paragraphs
    response = client.post("/reports/plan/", {**data, "format": "pdf"})
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    entries = AccessLog.objects.filter(action="document", user=world.user("principal"))
    assert sorted(e.detail for e in entries) == [
        f"工作计划 {world.school.code} 2026 docx",
        f"工作计划 {world.school.code} 2026 pdf",
    ]


@pytest.mark.parametrize("role", ["teacher", "stranger_teacher", "nobody"])
def test_teachers_and_strangers_are_refused(world, client, role):
    client.force_login(world.user(role))
    response = client.post("/reports/plan/", {"org": world.school.pk, "school_year": 2026})
    assert response.status_code == 403


@pytest.mark.parametrize(
    "data, error",
    [
        ({"school_year": 1999}, "选择一个有效的选项"),
        ({"school_year": "x"}, "选择一个有效的选项"),
        ({"org": "county"}, "选择一个有效的选项"),
        ({"org": ""}, "这个字段是必填项"),
    ],
)
def test_an_invalid_form_comes_back_with_errors(world, client, data, error):
    client.force_login(world.user("principal"))
    form = {"org": world.school.pk, "school_year": 2026, "format": "docx", **data}
    if form["org"] == "county":
        form["org"] = world.county.pk  # above the principal's school
    response = client.post("/reports/plan/", form)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not AccessLog.objects.filter(action="document").exists()
