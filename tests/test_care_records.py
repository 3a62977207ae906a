"""Care records: the service, confidentiality, the record card form and the API."""

import datetime as dt
import re
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection

from carenet.accounts.tokens import token_issue
from carenet.care.answers import COMMON_ANSWERS
from carenet.care.models import CareKind, CareRecord
from carenet.care.selectors import visible_records
from carenet.care.services import record_create
from carenet.orgs.models import Role
from tests.factories import user_add

# A fieldset of kind fields on the record card: its kinds, and whether it is hidden.
_FIELDSET = re.compile(r'<fieldset class="mt-3" data-kinds="([^"]+)"( hidden disabled)?>')

pytestmark = pytest.mark.django_db

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(dt.datetime(2026, 10, 12, 9, 0, tzinfo=TZ), tick=False):
        yield


def _counseling(world):
    return record_create(
        actor=world.user("teacher"),
        child=world.own_child,
        kind="counseling",
        date=dt.date(2026, 10, 9),
        summary="心理辅导：想念父母，夜里哭",
    )


class TestRecordCreate:
    def test_it_keeps_the_kinds_own_fields_encrypted(self, world):
        record = record_create(
            actor=world.user("teacher"),
            child=world.own_child,
            kind="talk",
            date=dt.date(2026, 10, 12),
            summary="谈心",
            details={"place": "办公室", "mood": "平稳", "needs": "不属于谈心", "topics": ""},
        )
        record.refresh_from_db()
        assert record.details == {"place": "办公室", "mood": "平稳"}
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT summary, details FROM care_carerecord WHERE id = %s", [record.pk]
            )
            raw = cursor.fetchone()
        assert all(value.startswith("v1:") for value in raw)

    def test_it_refuses_a_future_date_an_empty_summary_and_an_unknown_kind(self, world):
        with pytest.raises(ValidationError) as caught:
            record_create(
                actor=world.user("teacher"),
                child=world.own_child,
                kind="party",
                date=dt.date(2026, 10, 13),
                summary="  ",
            )
        assert set(caught.value.message_dict) == {"kind", "date", "summary"}
        assert caught.value.message_dict["date"] == ["日期不能晚于今天"]

    def test_counseling_is_always_confidential(self, world):
        assert _counseling(world).confidential


class TestConfidentiality:
    def test_the_author_and_the_principal_read_a_counseling_record(self, world):
        record = _counseling(world)
        for who in ("teacher", "principal"):
            assert list(visible_records(world.user(who), world.own_child)) == [record]

    def test_the_schools_counselor_reads_it_but_not_another_schools(self, world):
        record = _counseling(world)
        counselor = user_add("counselor", Role.COUNSELOR, world.school)
        assert list(visible_records(counselor, world.own_child)) == [record]
        elsewhere = user_add("counselor_2", Role.COUNSELOR, world.other_school)
        assert not visible_records(elsewhere, world.own_child).exists()

    def test_a_counselor_gets_no_school_view_of_the_working_list(self, world, client):
        client.force_login(user_add("counselor", Role.COUNSELOR, world.school))
        assert client.get("/care/tasks/").context["school_view"] is False

    def test_a_township_supervisor_and_another_teacher_do_not(self, world):
        _counseling(world)
        other = user_add("teacher_2", Role.TEACHER, world.class_1)
        for user in (world.user("township_supervisor"), world.user("village_director"), other):
            assert not visible_records(user, world.own_child).exists()

    def test_nobody_outside_scope_reads_any_record(self, world):
        record_create(
            actor=world.user("teacher"),
            child=world.own_child,
            kind="talk",
            date=dt.date(2026, 10, 12),
            summary="谈心",
        )
        assert not visible_records(world.user("stranger_teacher"), world.own_child).exists()

    def test_the_child_file_shows_the_timeline_without_what_is_hidden(self, world, client):
        _counseling(world)
        record_create(
            actor=world.user("teacher"),
            child=world.own_child,
            kind="home_visit",
            date=dt.date(2026, 10, 10),
            summary="家访：奶奶身体尚可",
        )
        client.force_login(world.user("township_supervisor"))
        body = client.get(f"/children/{world.own_child.pk}/").content.decode()
        assert "家访：奶奶身体尚可" in body and "想念父母" not in body
        client.force_login(world.user("principal"))
        body = client.get(f"/children/{world.own_child.pk}/").content.decode()
        assert body.index("家访：奶奶身体尚可") < body.index("想念父母")  # newest first


class TestRecordForm:
    def url(self, world, child=None, query=""):
        return f"/care/children/{(child or world.own_child).pk}/records/new/{query}"

    def test_it_opens_with_the_kind_and_today_preselected(self, world, client):
        client.force_login(world.user("teacher"))
        response = client.get(self.url(world, query="?kind=home_visit"))
        assert response.status_code == 200
        form = response.context["form"]
        assert form["kind"].value() == "home_visit"
        assert form["date"].value() == dt.date(2026, 10, 12)

    def test_saving_returns_to_the_working_list_and_the_task_is_gone(self, world, client):
        client.force_login(world.user("teacher"))
        data = {"kind": "talk", "date": "2026-10-12", "summary": "谈心：学习进步", "place": "操场"}
        response = client.post(self.url(world), data)
        assert response.status_code == 302 and response["Location"] == "/care/tasks/"
        record = CareRecord.objects.get()
        assert record.details == {"place": "操场"} and record.author == world.user("teacher")
        tasks = client.get("/care/tasks/").context["tasks"]
        assert not [t for t in tasks if t.child.pk == world.own_child.pk and t.kind == "talk"]

    def test_a_failed_form_keeps_what_was_typed_with_chinese_errors(self, world, client):
        client.force_login(world.user("teacher"))
        data = {"kind": "talk", "date": "2026-10-20", "summary": "这段话不能丢", "mood": "低落"}
        response = client.post(self.url(world), data)
        assert response.status_code == 200
        body = response.content.decode()
        assert "日期不能晚于今天" in body and "这段话不能丢" in body and "低落" in body
        assert not CareRecord.objects.exists()
        response = client.post(self.url(world), {"kind": "talk", "date": "2026-10-12"})
        assert "请填写记录内容" in response.content.decode()

    def shown_fieldsets(self, html: str) -> set[str]:
        return {kinds for kinds, hidden in _FIELDSET.findall(html) if not hidden}

    def test_each_kind_opens_with_its_own_fields_only(self, world, client):
        client.force_login(world.user("teacher"))
        expected = {
            "talk": {"talk"},
            "home_visit": {"home_visit"},
            "parent_call": {"parent_call guardian_contact family_call"},
            "guardian_contact": {"parent_call guardian_contact family_call"},
            "family_call": {"parent_call guardian_contact family_call"},
        }
        for kind in CareKind.values:
            html = client.get(self.url(world, query=f"?kind={kind}")).content.decode()
            assert len(_FIELDSET.findall(html)) == 3, kind  # the others are there, hidden
            assert self.shown_fieldsets(html) == expected.get(kind, set()), kind
        # No kind asked for (or one unknown): a talk.
        for query in ("", "?kind=party"):
            html = client.get(self.url(world, query=query)).content.decode()
            assert self.shown_fieldsets(html) == {"talk"}
        # The summary is the first focus; nothing cuts a dictated text short.
        html = client.get(self.url(world)).content.decode()
        summary = re.search(r"<textarea name=\"summary\"[^>]*>", html).group(0)
        assert "autofocus" in summary and 'lang="zh-CN"' in summary
        assert 'autocomplete="off"' in summary and "enterkeyhint" in summary
        assert "maxlength" not in html and "谈心、家访、通话的详细信息" not in html

    def test_the_photo_input_opens_the_camera_and_another_the_album(self, world, client):
        client.force_login(world.user("teacher"))
        html = client.get(self.url(world, query="?kind=home_visit")).content.decode()
        inputs = re.findall(r'<input type="file" name="photos"[^>]*>', html)
        assert len(inputs) == 2
        camera, album = inputs
        assert 'accept="image/*"' in camera and 'capture="environment"' in camera
        assert 'accept="image/*"' in album and "capture" not in album and "multiple" in album

    def test_the_chips_come_from_the_common_answers_and_wait_for_the_script(self, world, client):
        client.force_login(world.user("teacher"))
        html = client.get(self.url(world)).content.decode()
        for name, chips in COMMON_ANSWERS.items():
            group = re.search(
                rf'<div class="cn-chips" data-chips-for="id_{name}" '
                rf'data-chip-mode="{chips.mode}" hidden>(.*?)</div>',
                html,
                re.S,
            )
            assert group, name
            assert re.findall(r'data-chip="([^"]+)"', group.group(1)) == [
                str(v) for v in chips.values
            ]
        # The guardian's capacity: radio chips, which work without the script.
        assert html.count('type="radio" name="guardian_capacity"') == 4
        assert 'src="/static/care/record-form.js"' in html

    # Each kind keeps its own fields; another kind's fields are dropped on saving, with
    # their errors (a talk's bad capacity and duration do not refuse it).
    @pytest.mark.parametrize(
        "data, details",
        [
            (
                {
                    "kind": "talk",
                    "summary": "谈心",
                    "mood": "平稳、想念父母",
                    "needs": "不属于谈心",
                    "guardian_capacity": "bad",
                    "duration_minutes": "twelve",
                    "contact_with": "母亲",
                },
                {"mood": "平稳、想念父母"},
            ),
            (
                {
                    "kind": "parent_call",
                    "summary": "电话",
                    "contact_with": "母亲",
                    "duration_minutes": "10",
                    "present": "奶奶",
                    "place": "办公室",
                },
                {"with": "母亲", "duration_minutes": 10},
            ),
            (
                {
                    "kind": "home_visit",
                    "summary": "家访",
                    "present": "奶奶、儿童本人",
                    "guardian_capacity": "fair",
                    "mood": "开心",
                },
                {"present": "奶奶、儿童本人", "guardian_capacity": "fair"},
            ),
        ],
        ids=["talk", "call", "visit"],
    )
    def test_a_record_keeps_its_own_kinds_fields_only(self, world, client, data, details):
        client.force_login(world.user("teacher"))
        response = client.post(self.url(world), {**data, "date": "2026-10-12"})
        assert response.status_code == 302
        record = CareRecord.objects.get()
        assert (record.kind, record.details) == (data["kind"], details)

    def test_an_own_fields_error_still_refuses_the_record(self, world, client):
        client.force_login(world.user("teacher"))
        data = {"kind": "parent_call", "date": "2026-10-12", "summary": "电话"}
        response = client.post(self.url(world), {**data, "duration_minutes": "700"})
        assert response.status_code == 200 and not CareRecord.objects.exists()
        assert response.context["form"].errors.keys() == {"duration_minutes"}

    def test_a_failed_visit_comes_back_as_a_visit_with_what_was_typed(self, world, client):
        client.force_login(world.user("teacher"))
        data = {
            "kind": "home_visit",
            "date": "2026-10-20",
            "summary": "奶奶腿脚不便",
            "present": "奶奶",
            "living_conditions": "房屋较旧",
            "guardian_capacity": "poor",
        }
        # From a task for a talk: the kind posted decides, not the one in the address.
        response = client.post(self.url(world, query="?kind=talk"), data)
        assert response.status_code == 200 and not CareRecord.objects.exists()
        html = response.content.decode()
        assert self.shown_fieldsets(html) == {"home_visit"}
        assert "日期不能晚于今天" in html and "奶奶腿脚不便" in html
        assert 'value="奶奶"' in html and "房屋较旧</textarea>" in html
        assert re.search(r'value="poor"[^>]*checked', html)

    def test_a_child_out_of_scope_is_404(self, world, client):
        client.force_login(world.user("teacher"))
        assert client.get(self.url(world, world.outsider)).status_code == 404
        data = {"kind": "talk", "date": "2026-10-12", "summary": "x"}
        assert client.post(self.url(world, world.outsider), data).status_code == 404
        assert not CareRecord.objects.exists()

    def test_next_may_not_leave_the_site(self, world, client):
        client.force_login(world.user("teacher"))
        data = {"kind": "talk", "date": "2026-10-12", "summary": "x", "next": "https://evil.test/"}
        assert client.post(self.url(world), data)["Location"] == "/care/tasks/"


class TestRecordsApi:
    def post(self, client, world, username, child, body):
        _, key = token_issue(user=world.user(username))
        return client.post(
            f"/api/v1/children/{child.pk}/records",
            body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {key}",
        )

    def test_a_talk_is_created_201(self, world, client):
        body = {
            "kind": "talk",
            "date": "2026-10-12",
            "summary": "谈心",
            "place": "教室",
            "follow_up": "下周再谈",
        }
        response = self.post(client, world, "teacher", world.mentee, body)
        assert response.status_code == 201, response.content
        answer = response.json()
        assert answer["child"] == world.mentee.pk and answer["kind"] == "talk"
        assert answer["date"] == "2026-10-12" and answer["summary"] == "谈心"
        assert answer["details"] == {"place": "教室", "follow_up": "下周再谈"}
        assert answer["confidential"] is False

    def test_a_call_takes_with_and_duration(self, world, client):
        body = {
            "kind": "parent_call",
            "date": "2026-10-11",
            "summary": "电话",
            "with": "母亲",
            "duration_minutes": 12,
        }
        response = self.post(client, world, "teacher", world.own_child, body)
        assert response.json()["details"] == {"with": "母亲", "duration_minutes": 12}

    def test_a_child_out_of_scope_is_404(self, world, client):
        body = {"kind": "talk", "date": "2026-10-12", "summary": "谈心"}
        response = self.post(client, world, "teacher", world.outsider, body)
        assert response.status_code == 404 and response.json() == {"detail": "未找到"}

    def test_field_errors_are_422(self, world, client):
        future = {"kind": "talk", "date": "2026-10-13", "summary": " "}
        response = self.post(client, world, "teacher", world.own_child, future)
        assert response.status_code == 422
        fields = {e["field"]: e["message"] for e in response.json()["detail"]}
        assert fields == {"date": "日期不能晚于今天", "summary": "请填写记录内容"}
        bad = {"kind": "party", "date": "12.10.2026", "guardian_capacity": "bad"}
        response = self.post(client, world, "teacher", world.own_child, bad)
        fields = {e["field"] for e in response.json()["detail"]}
        assert fields == {"kind", "date", "summary", "guardian_capacity"}
        assert not CareRecord.objects.exists()
