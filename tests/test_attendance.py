"""Absences and exam results (缺勤与成绩): the class teacher for their class, the
principal for the school; others 404; future days and second entries refused."""

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
import time_machine

from carenet.care.models import Absence, AbsenceReason, ExamScore

pytestmark = pytest.mark.django_db
TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2026, 10, 12)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(dt.datetime(2026, 10, 12, 9, 0, tzinfo=TZ), tick=False):
        yield


def _absence(client, child, next="", **data):
    values = {"absence-date": "2026-10-12", "absence-reason": "sick", "absence-note": ""}
    values.update({f"absence-{k}": v for k, v in data.items()})
    if next:
        values["next"] = next
    return client.post(f"/attendance/children/{child.pk}/absence/", values)


def test_the_class_teacher_goes_straight_to_their_class(world, client):
    client.force_login(world.user("teacher"))
    response = client.get("/attendance/")
    assert response.status_code == 302
    assert response["Location"] == f"/attendance/classes/{world.class_1.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert world.own_child.name in page and world.school_child.name not in page


def test_the_class_teacher_enters_an_absence_in_one_tap(world, client):
    client.force_login(world.user("teacher"))
    back = f"/attendance/classes/{world.class_1.pk}/"
    response = _absence(client, world.own_child, reason="truant", note="上午未到校", next=back)
    assert response.status_code == 302 and response["Location"] == back
    absence = Absence.objects.get()
    assert (absence.child, absence.date, absence.reason, absence.note) == (
        world.own_child,
        TODAY,
        AbsenceReason.TRUANT,
        "上午未到校",
    )
    assert absence.recorded_by == world.user("teacher")
    page = client.get(back).content.decode()
    assert "旷课" in page and "2026-10-12" in page


def test_a_future_day_is_refused_with_what_was_typed(world, client):
    client.force_login(world.user("teacher"))
    response = _absence(client, world.own_child, date="2026-10-13", note="明天请假")
    page = response.content.decode()
    assert response.status_code == 200
    assert "日期不能晚于今天" in page and "明天请假" in page
    assert not Absence.objects.exists()


def test_a_second_absence_on_the_same_day_is_refused(world, client):
    client.force_login(world.user("teacher"))
    _absence(client, world.own_child)
    response = _absence(client, world.own_child, reason="leave")
    assert response.status_code == 200 and "这一天已登记缺勤" in response.content.decode()
    assert Absence.objects.count() == 1


def test_a_mistaken_absence_is_deleted(world, client):
    client.force_login(world.user("teacher"))
    _absence(client, world.own_child)
    absence = Absence.objects.get()
    response = client.post(f"/attendance/absences/{absence.pk}/delete/")
    assert response.status_code == 302
    assert not Absence.objects.exists()


def test_the_class_teacher_enters_a_score(world, client):
    client.force_login(world.user("teacher"))
    response = client.post(
        f"/attendance/children/{world.own_child.pk}/",
        {
            "action": "score",
            "score-exam": "期中考试",
            "score-date": "2026-10-10",
            "score-subject": "数学",
            "score-score": "72.5",
            "score-full_score": "100",
        },
    )
    assert response.status_code == 302
    score = ExamScore.objects.get()
    assert (score.child, score.exam, score.subject, score.score, score.full_score) == (
        world.own_child,
        "期中考试",
        "数学",
        Decimal("72.5"),
        Decimal(100),
    )
    assert "期中考试" in client.get(response["Location"]).content.decode()


def test_a_score_above_the_full_score_is_refused(world, client):
    client.force_login(world.user("teacher"))
    response = client.post(
        f"/attendance/children/{world.own_child.pk}/",
        {
            "action": "score",
            "score-exam": "期中考试",
            "score-date": "2026-10-10",
            "score-subject": "数学",
            "score-score": "120",
            "score-full_score": "100",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200 and "成绩不能高于满分" in page and "120" in page
    assert not ExamScore.objects.exists()


def test_a_class_table_enters_the_scores_typed_and_skips_the_empty(world, client):
    client.force_login(world.user("principal"))
    url = f"/attendance/classes/{world.class_2.pk}/scores/"
    page = client.get(url).content.decode()
    assert world.mentee.name in page and world.school_child.name in page
    response = client.post(
        url,
        {
            "exam": "期中考试",
            "date": "2026-10-10",
            "subject": "语文",
            "full_score": "120",
            f"score_{world.mentee.pk}": "98",
            f"score_{world.school_child.pk}": "",
        },
    )
    assert response.status_code == 302
    assert list(ExamScore.objects.values_list("child", "score", "full_score")) == [
        (world.mentee.pk, Decimal(98), Decimal(120))
    ]


def test_a_class_table_with_one_bad_score_saves_none(world, client):
    client.force_login(world.user("principal"))
    response = client.post(
        f"/attendance/classes/{world.class_2.pk}/scores/",
        {
            "exam": "期中考试",
            "date": "2026-10-10",
            "subject": "语文",
            "full_score": "100",
            f"score_{world.mentee.pk}": "98",
            f"score_{world.school_child.pk}": "130",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200 and "成绩不能高于满分" in page and "130" in page
    assert not ExamScore.objects.exists()


def test_the_principal_records_for_every_class_of_the_school(world, client):
    client.force_login(world.user("principal"))
    page = client.get("/attendance/").content.decode()
    assert world.class_1.name in page and world.class_2.name in page
    assert world.other_class.name not in page
    assert _absence(client, world.school_child).status_code == 302
    assert Absence.objects.get().child == world.school_child


def test_a_teacher_of_another_class_gets_404(world, client):
    client.force_login(world.user("teacher"))
    # The teacher mentors a child of class 2 (sees the file: 403), but class 2's
    # attendance is not theirs.
    assert client.get(f"/attendance/classes/{world.class_2.pk}/").status_code == 404
    assert client.get(f"/attendance/children/{world.mentee.pk}/").status_code == 403
    assert _absence(client, world.mentee).status_code == 403
    client.force_login(world.user("stranger_teacher"))
    assert client.get(f"/attendance/classes/{world.class_1.pk}/").status_code == 404
    assert _absence(client, world.own_child).status_code == 404
    assert not Absence.objects.exists()


def test_someone_elses_absence_cannot_be_deleted(world, client):
    client.force_login(world.user("teacher"))
    _absence(client, world.own_child)
    absence = Absence.objects.get()
    client.force_login(world.user("stranger_teacher"))
    assert client.post(f"/attendance/absences/{absence.pk}/delete/").status_code == 404
    assert Absence.objects.exists()


@pytest.mark.parametrize("name", ["county_admin", "township_supervisor", "village_director"])
def test_who_does_not_record_attendance_finds_no_class(world, client, name):
    client.force_login(world.user(name))
    assert "没有可以登记缺勤和成绩的班级" in client.get("/attendance/").content.decode()
    assert client.get(f"/attendance/classes/{world.class_1.pk}/").status_code == 404
    # They see the child's file (the county, the township, the village it lives in), not
    # its attendance.
    assert _absence(client, world.own_child).status_code == 403
    assert not Absence.objects.exists()
