"""The work summary (工作总结): figures equal hand counts, typical cases are anonymised,
the .docx and the PDF say the same, and the command line and the web page refuse what
they must."""

import datetime as dt
import io
import subprocess
import zoneinfo

import docx
import pytest
import time_machine

from carenet.audit.models import AccessLog
from carenet.care.models import CareRecord
from carenet.children.access import visible_children
from carenet.children.models import Child
from carenet.children.services import family_member_save
from carenet.cli import main
from carenet.indicators.selectors import indicators_for
from carenet.reports.documents import Format, document_file
from carenet.reports.layout import summary_document
from carenet.reports.summary import (
    alias_of,
    anonymise,
    case_candidates,
    default_period,
    readable_records,
    work_summary_build,
)

pytestmark = pytest.mark.django_db

TODAY = dt.datetime(2026, 11, 20, 10, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))
START, END = dt.date(2026, 9, 1), dt.date(2026, 11, 20)
HEADINGS = ("基本情况", "工作指标完成情况", "主要做法", "典型案例", "存在问题", "下一步打算")
GUARDIAN_PHONE = "13700001111"
ADDRESS = "华阳镇红星村三组18号"


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(TODAY, tick=False):
        yield


def _record(child: Child, kind: str, day: dt.date, author, summary="记录", **extra) -> CareRecord:
    return CareRecord.objects.create(
        child=child,
        county_code=child.county_code,
        kind=kind,
        date=day,
        author=author,
        summary=summary,
        **extra,
    )


@pytest.fixture
def records(world):
    """Care work of the autumn term 2026 (and some outside it), with a guardian on file.

    In 华阳小学 between 1 Sep and 20 Nov: talks 王子涵 ×2, 曾小雨 ×1, 李明 ×1; a home visit
    and a parent call for 王子涵; a confidential counseling session for 曾小雨."""
    teacher = world.user("teacher")
    own, mentee = world.own_child, world.mentee
    Child.objects.filter(pk=own.pk).update(residence_address=ADDRESS)
    family_member_save(
        actor=None,
        child=own,
        relation="guardian",
        data={
            "name": "王大山",
            "kinship": "祖父",
            "age": 68,
            "phone": GUARDIAN_PHONE,
            "guardianship_quality": "fair",
        },
    )
    case = _record(
        own,
        "talk",
        dt.date(2026, 10, 9),
        teacher,
        summary=(
            f"与王子涵谈心，子涵说想念在外打工的父亲，奶奶电话{GUARDIAN_PHONE}，"
            f"身份证号{own.id_number}，家住{ADDRESS}。"
        ),
        details={"measures": "安排王子涵每周给父亲打一次亲情电话", "mood": "low"},
    )
    _record(own, "talk", dt.date(2026, 9, 10), teacher)
    _record(own, "home_visit", dt.date(2026, 10, 20), teacher)
    _record(own, "parent_call", dt.date(2026, 11, 2), teacher)
    _record(mentee, "talk", dt.date(2026, 9, 15), teacher)
    _record(mentee, "counseling", dt.date(2026, 10, 1), teacher, confidential=True)
    _record(world.school_child, "talk", dt.date(2026, 10, 1), teacher)
    # Outside the period, or outside the school.
    _record(own, "talk", dt.date(2026, 8, 20), teacher)
    _record(own, "talk", dt.date(2026, 11, 21), teacher)
    stranger = world.user("stranger_teacher")
    _record(world.villager_elsewhere, "talk", dt.date(2026, 10, 2), stranger)
    outsider = _record(world.outsider, "talk", dt.date(2026, 10, 3), stranger)
    return {"case": case, "outsider": outsider}


def _docx_text(content: bytes) -> str:
    document = docx.Document(io.BytesIO(content))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts += [cell.text for cell in row.cells]
    return "\n".join(parts)


def _pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "out.pdf"
    path.write_bytes(content)
    result = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True
    )
    return result.stdout.decode("utf-8")


def _squash(text: str) -> str:
    return "".join(text.split())


# --- figures --------------------------------------------------------------------------


def test_the_school_figures_equal_a_hand_count(world, records):
    summary = work_summary_build(
        org=world.school, start=START, end=END, children=Child.objects.all()
    )
    basics = summary.basics
    assert basics.children_total == 3  # 王子涵, 曾小雨, 李明
    assert basics.in_care == 2  # 李明's parents are at home
    assert (basics.both_parents, basics.one_parent, basics.civil) == (1, 1, 1)
    assert (basics.boys, basics.girls, basics.boarding) == (1, 1, 0)
    assert (basics.mentored, basics.mentors, basics.buddies) == (1, 1, 0)
    assert [(r.label, r.count) for r in basics.guardians] == [("祖父", 1)]
    assert [(r.label, r.count) for r in basics.guardianship] == [("一般", 1)]
    assert basics.no_guardian == 1
    work = {w.kind: (w.records, w.children) for w in summary.work}
    assert work["talk"] == (4, 3)
    assert work["home_visit"] == (1, 1)
    assert work["parent_call"] == (1, 1)
    assert work["counseling"] == (1, 1)
    assert work["letter"] == (0, 0)
    assert summary.records_total == 7
    months = {
        m.month: dict(zip([k for k, _ in summary.month_kinds], m.counts, strict=True))
        for m in summary.months
    }
    assert list(months) == [dt.date(2026, 9, 1), dt.date(2026, 10, 1), dt.date(2026, 11, 1)]
    assert months[dt.date(2026, 9, 1)]["talk"] == 2
    assert months[dt.date(2026, 10, 1)] == {
        "talk": 2,
        "home_visit": 1,
        "parent_call": 0,
        "counseling": 1,
    }
    assert sum(m.total for m in summary.months) == 7
    assert summary.pairings_started == 0  # the mentee's pairing began in 2025


def test_the_indicators_are_those_of_the_indicator_service(world, records):
    summary = work_summary_build(
        org=world.school, start=START, end=END, children=Child.objects.all()
    )
    assert summary.indicators == indicators_for(
        world.school, as_of=END, children=Child.objects.all()
    )
    coverage = next(i for i in summary.indicators if i.key == "mentor_coverage")
    assert (coverage.numerator, coverage.denominator) == (1, 2)


def test_the_county_counts_every_school_and_the_village_its_residents(world, records):
    county = work_summary_build(
        org=world.county, start=START, end=END, children=Child.objects.all()
    )
    assert county.basics.children_total == 5
    assert county.basics.in_care == 4
    assert {w.kind: w.records for w in county.work}["talk"] == 6
    village = work_summary_build(
        org=world.village, start=START, end=END, children=Child.objects.all()
    )
    assert village.basics.children_total == 4  # 张伟 lives in 红星村, schooled elsewhere
    assert village.basics.in_care == 3
    assert {w.kind: w.records for w in village.work}["talk"] == 5


def test_a_scope_limits_every_count(world, records):
    principal = world.user("principal")
    summary = work_summary_build(
        org=world.county, start=START, end=END, children=visible_children(principal)
    )
    assert summary.basics.children_total == 3
    assert summary.basics.in_care == 2
    assert summary.records_total == 7
    assert sum(i.denominator for i in summary.indicators if i.key == "filing_rate") == 2


def test_a_period_that_ends_before_it_starts_is_refused(world):
    with pytest.raises(ValueError):
        work_summary_build(org=world.school, start=END, end=START, children=Child.objects.all())


def test_the_default_period_is_the_term_so_far_or_the_last_term():
    assert default_period(dt.date(2026, 11, 20)) == (dt.date(2026, 9, 1), dt.date(2026, 11, 20))
    assert default_period(dt.date(2027, 2, 1)) == (dt.date(2026, 9, 1), dt.date(2027, 1, 15))
    assert default_period(dt.date(2026, 8, 1)) == (dt.date(2026, 2, 15), dt.date(2026, 7, 5))


def test_empty_problems_give_a_draft_from_the_figures(world, records):
    summary = work_summary_build(
        org=world.school, start=START, end=END, children=Child.objects.all()
    )
    assert summary.problems_drafted and summary.next_steps_drafted
    text = summary_document(summary).text()
    assert "草稿" in text
    assert "尚有1名留守儿童未落实代理家长结对帮扶" in text
    written = work_summary_build(
        org=world.school,
        start=START,
        end=END,
        problems="家长联系不畅\n\n",
        next_steps="办家长学校",
        children=Child.objects.all(),
    )
    assert written.problems == ["家长联系不畅"] and written.next_steps == ["办家长学校"]
    assert not written.drafted
    assert "草稿" not in summary_document(written).text()


# --- anonymisation --------------------------------------------------------------------


def test_aliases_keep_only_the_surname():
    assert alias_of("王子涵") == "王某某"
    assert alias_of("欧阳娜娜") == "欧阳某某"
    assert anonymise("子涵电话 138 1234 5678", names=["子涵"], alias="王某某") == "王某某电话 ****"
    text = anonymise(
        "王大山说子涵的父亲住在红星村3组",
        names=["子涵"],
        alias="王某某",
        others=["王大山", "父亲"],
        places=["红星村3组"],
    )
    assert text == "某某说王某某的父亲住在（住址略）"


def test_typical_cases_never_show_the_name_id_number_phone_or_address(world, records, tmp_path):
    own = world.own_child
    summary = work_summary_build(
        org=world.school,
        start=START,
        end=END,
        cases=[records["case"]],
        children=Child.objects.all(),
    )
    [case] = summary.cases
    assert case.alias == "王某某"
    assert case.profile == "男，11岁"
    layout = summary_document(summary)
    docx_text = _docx_text(document_file(layout, Format.DOCX, stem="s").content)
    pdf_text = _squash(_pdf_text(document_file(layout, Format.PDF, stem="s").content, tmp_path))
    for text in (docx_text, pdf_text):
        assert "王某某" in text and "亲情电话" in text
        for secret in ("王子涵", "子涵", own.id_number, GUARDIAN_PHONE, ADDRESS, "王大山"):
            assert secret not in text


# --- documents ------------------------------------------------------------------------


def test_the_docx_reopens_with_headings_tables_and_east_asian_fonts(world, records):
    summary = work_summary_build(
        org=world.school, start=START, end=END, children=Child.objects.all()
    )
    content = document_file(summary_document(summary), Format.DOCX, stem="s").content
    document = docx.Document(io.BytesIO(content))
    text = _docx_text(content)
    assert "华阳小学关爱留守儿童工作总结" in text
    for heading in HEADINGS:
        assert heading in text
    assert len(document.tables) == 5  # basics, guardians, indicators, work, months
    work = document.tables[3]
    assert [c.text for c in work.rows[0].cells] == ["工作", "次数", "涉及儿童（人）"]
    assert [c.text for c in work.rows[1].cells] == ["谈心", "4", "3"]
    assert 'w:eastAsia="仿宋"' in document.element.xml
    borders = document.tables[0]._tbl.tblPr.xml
    assert "w:tblBorders" in borders and 'w:val="single"' in borders


def test_the_pdf_text_can_be_extracted_with_headings_and_numbers(world, records, tmp_path):
    summary = work_summary_build(
        org=world.school, start=START, end=END, children=Child.objects.all()
    )
    content = document_file(summary_document(summary), Format.PDF, stem="s").content
    assert content.startswith(b"%PDF")
    text = _squash(_pdf_text(content, tmp_path))
    assert "华阳小学关爱留守儿童工作总结" in text
    for heading in HEADINGS:
        assert heading in text
    assert "其中留守儿童2名（双亲留守1名，单亲留守1名）" in text
    assert "共记录关爱工作7次" in text


# --- command line ---------------------------------------------------------------------


def test_the_command_has_help(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["report", "summary", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for option in ("--org", "--from", "--to", "--case", "--problems", "--next-steps"):
        assert option in out


@pytest.mark.parametrize("suffix", ["docx", "pdf"])
def test_the_command_writes_the_format_of_the_suffix(world, records, tmp_path, capsys, suffix):
    out = tmp_path / f"总结.{suffix}"
    case = str(records["case"].pk)
    argv = ["report", "summary", "--org", world.school.code, "--from", "2026-09-01"]
    argv += ["--to", "2026-11-20", "-o", str(out), "--case", case, "--problems", "人手不足"]
    argv += ["--problems", "经费紧张", "--next-steps", "争取专项经费"]
    assert main(argv) == 0
    assert "written to" in capsys.readouterr().out
    content = out.read_bytes()
    if suffix == "pdf":
        text = _squash(_pdf_text(content, tmp_path))
    else:
        text = _docx_text(content)
    assert "1.人手不足" in _squash(text) and "2.经费紧张" in _squash(text)
    assert "1.争取专项经费" in _squash(text) and "草稿" not in text
    assert "王某某" in text and "王子涵" not in text
    entry = AccessLog.objects.get(action="document")
    assert world.school.code in entry.detail and entry.user is None


def _refused(argv, capsys, *needles) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    for needle in needles:
        assert needle in err


def test_the_command_refuses_an_unknown_org(world, tmp_path, capsys):
    out = tmp_path / "x.docx"
    argv = ["report", "summary", "--org", "nope", "--from", "2026-09-01", "--to", "2026-11-20"]
    _refused([*argv, "-o", str(out)], capsys, "nope")
    assert not out.exists()


def test_the_command_refuses_a_period_that_ends_before_it_starts(world, tmp_path, capsys):
    out = tmp_path / "x.docx"
    argv = ["report", "summary", "--org", world.school.code, "--from", "2026-11-20"]
    _refused([*argv, "--to", "2026-09-01", "-o", str(out)], capsys, "2026-11-20")
    assert not out.exists()


def test_the_command_refuses_an_unknown_suffix(world, tmp_path, capsys):
    argv = ["report", "summary", "--org", world.school.code, "--from", "2026-09-01"]
    _refused([*argv, "--to", "2026-11-20", "-o", str(tmp_path / "x.xlsx")], capsys, ".docx")


def test_the_command_refuses_a_case_outside_the_org(world, records, tmp_path, capsys):
    argv = ["report", "summary", "--org", world.school.code, "--from", "2026-09-01"]
    argv += ["--to", "2026-11-20", "-o", str(tmp_path / "x.pdf")]
    _refused([*argv, "--case", str(records["outsider"].pk)], capsys, str(records["outsider"].pk))


@pytest.mark.parametrize("bad", ["2026-13-01", "yesterday"])
def test_the_command_refuses_a_bad_date(world, tmp_path, capsys, bad):
    argv = ["report", "summary", "--org", world.school.code, "--from", bad]
    with pytest.raises(SystemExit) as exit_info:
        main([*argv, "--to", "2026-11-20", "-o", str(tmp_path / "x.docx")])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and bad in err


# --- web ------------------------------------------------------------------------------

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _form(org, **extra):
    data = {"org": org.pk, "start": "2026-09-01", "end": "2026-11-20"}
    data.update(extra)
    return data


def test_a_principal_downloads_both_formats(world, records, client, tmp_path):
    client.force_login(world.user("principal"))
    page = client.get("/reports/summary/")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'value="2026-09-01"' in body and 'value="2026-11-20"' in body
    assert 'id="case-picker"' in body and 'name="cases"' not in body  # found by a search
    found = client.post("/reports/summary/", _form(world.school, format="", q="王子"))
    assert "王子涵" in found.content.decode()  # a case to choose, shown to a reader of the file
    case = records["case"].pk
    response = client.post("/reports/summary/", _form(world.school, format="docx", cases=[case]))
    assert response.status_code == 200
    assert response["Content-Type"] == DOCX_TYPE
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    text = _docx_text(response.content)
    assert "华阳小学关爱留守儿童工作总结" in text and "王某某" in text and "王子涵" not in text
    response = client.post("/reports/summary/", _form(world.class_1, format="pdf"))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "一(1)班关爱留守儿童工作总结" in _squash(_pdf_text(response.content, tmp_path))
    logged = AccessLog.objects.filter(action="document", user=world.user("principal"))
    assert logged.filter(child__isnull=True).count() == 2
    assert logged.filter(child=world.own_child).count() == 1  # the case's file was read


def test_the_counseling_record_is_offered_only_to_its_readers(world, records):
    counseling = CareRecord.objects.get(kind="counseling")
    assert counseling in readable_records(world.user("principal"))
    assert counseling in readable_records(world.user("teacher"))  # its author
    assert counseling not in readable_records(world.user("township_supervisor"))
    county_admin = world.user("county_admin")
    offered = case_candidates(
        world.school,
        start=START,
        end=END,
        children=visible_children(county_admin),
        records=readable_records(county_admin),
    )
    assert counseling not in offered and records["case"] in offered
    assert records["outsider"] not in offered


@pytest.mark.parametrize("role", ["teacher", "stranger_teacher", "nobody"])
def test_teachers_and_strangers_are_refused(world, records, client, role):
    client.force_login(world.user(role))
    for path in ("/reports/", "/reports/summary/", "/reports/plan/"):
        assert client.get(path).status_code == 403
    response = client.post("/reports/summary/", _form(world.class_1, format="docx"))
    assert response.status_code == 403
    assert not AccessLog.objects.filter(action="document").exists()
    home = client.get("/").content.decode()
    assert 'href="/reports/"' not in home  # no link to the documents they may not write
    if role != "nobody":  # teachers print their class's cards (reports_cards)
        assert 'href="/reports/cards/"' in home


def test_anonymous_users_are_sent_to_log_in(client, world):
    for path in ("/reports/", "/reports/summary/", "/reports/plan/"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response["Location"]


@pytest.mark.parametrize(
    "role", ["county_admin", "township_supervisor", "village_director", "principal"]
)
def test_document_roles_see_the_list_and_its_link(world, client, role):
    client.force_login(world.user(role))
    response = client.get("/reports/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "/reports/summary/" in body and "/reports/plan/" in body and "{# printables" not in body
    assert 'href="/reports/"' in client.get("/reports/summary/").content.decode()


def test_a_village_director_sees_only_their_village(world, records, client):
    client.force_login(world.user("village_director"))
    body = client.get("/reports/summary/").content.decode()
    assert world.village.name in body and world.school.name + "（" not in body
    response = client.post("/reports/summary/", _form(world.school, format="docx"))
    assert response.status_code == 400
    response = client.post("/reports/summary/", _form(world.village, format="docx"))
    assert response.status_code == 200
    assert "在册儿童4名" in _squash(_docx_text(response.content))


@pytest.mark.parametrize(
    "data, error",
    [
        ({"start": "2026-11-20", "end": "2026-09-01"}, "结束日期不能早于开始日期"),
        ({"start": "2026-13-01"}, "有效的日期"),
        ({"end": ""}, "这个字段是必填项"),
        ({"start": "2024-01-01"}, "期间不能超过"),
    ],
)
def test_an_invalid_form_comes_back_with_errors(world, client, data, error):
    client.force_login(world.user("principal"))
    response = client.post("/reports/summary/", _form(world.school, format="pdf", **data))
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not AccessLog.objects.filter(action="document").exists()


def test_an_org_or_case_out_of_reach_comes_back_with_errors(world, records, client):
    client.force_login(world.user("principal"))
    response = client.post("/reports/summary/", _form(world.county, format="docx"))
    assert response.status_code == 400 and "选择一个有效的选项" in response.content.decode()
    outsider = records["outsider"].pk
    response = client.post(
        "/reports/summary/", _form(world.school, format="docx", cases=[outsider])
    )
    assert response.status_code == 400
    response = client.post("/reports/summary/", {**_form(world.school, format="pdf"), "org": "x"})
    assert response.status_code == 400


def test_refresh_offers_the_cases_of_the_chosen_org(world, records, client):
    client.force_login(world.user("township_supervisor"))
    response = client.post("/reports/summary/", _form(world.class_1, format="", q="王子涵"))
    assert response.status_code == 200 and _offered(response.content.decode())
    response = client.post("/reports/summary/", _form(world.class_1, format="", q="李明"))
    assert not _offered(response.content.decode())  # 李明 is in class 2
    assert not AccessLog.objects.filter(action="document").exists()


def _offered(body: str) -> set[int]:
    import re

    return {int(pk) for pk in re.findall(r'name="cases" value="(\d+)"', body)}


def test_cases_are_found_by_name_pinyin_or_initials_not_listed_by_the_hundred(
    world, records, client
):
    """Issue 17: the form offered about 200 tiny checkboxes."""
    client.force_login(world.user("principal"))
    wang = set(CareRecord.objects.filter(child=world.own_child).values_list("pk", flat=True))
    for q in ("王子", "wangzi", "wzh"):
        body = client.post("/reports/summary/", _form(world.school, format="", q=q)).content
        assert _offered(body.decode()) and _offered(body.decode()) <= wang, q
    body = client.post("/reports/summary/", _form(world.school, format="")).content.decode()
    assert _offered(body) == set()
    nothing = client.post("/reports/summary/", _form(world.school, format="", q="无此人"))
    assert "没有找到" in nothing.content.decode()


def test_picked_cases_are_kept_through_a_new_search_and_a_form_error(world, records, client):
    client.force_login(world.user("principal"))
    case = records["case"].pk
    body = client.post(
        "/reports/summary/", _form(world.school, format="", q="李明", cases=[case])
    ).content.decode()
    assert f'value="{case}" id="case-{case}" checked' in body
    assert len(_offered(body)) > 1  # and 李明's cases
    for bad in ({"end": "2026-08-01"}, {"problems": "长" * 5001}, {"start": "x"}):
        error = client.post(
            "/reports/summary/", _form(world.school, format="docx", cases=[case], **bad)
        )
        assert error.status_code == 400, bad
        assert f'value="{case}" id="case-{case}" checked' in error.content.decode(), bad


def test_a_child_out_of_scope_can_be_neither_found_nor_picked(world, records, client):
    client.force_login(world.user("principal"))
    outsider = records["outsider"]
    body = client.post(
        "/reports/summary/", _form(world.school, format="", q=outsider.child.name)
    ).content.decode()
    assert outsider.pk not in _offered(body) and not _offered(body)
    response = client.post(
        "/reports/summary/", _form(world.school, format="docx", cases=[outsider.pk])
    )
    assert response.status_code == 400
    assert outsider.pk not in _offered(response.content.decode())
    assert not AccessLog.objects.filter(action="document").exists()
