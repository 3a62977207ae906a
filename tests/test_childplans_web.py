"""Plan pages: drawn up from the child file, followed with checks and reviews, closed."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from carenet.childplans import services
from carenet.childplans.models import IndividualPlan, PlanReview, PlanStatus, StudyCheck, StudyPlan

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def _study(world, child=None) -> StudyPlan:
    return services.study_plan_create(
        actor=world.user("teacher"),
        child=child or world.own_child,
        subjects=["math"],
        goals="数学及格",
        measures="课后辅导",
        start_date=TODAY - dt.timedelta(days=10),
    )


def _individual(world, child=None) -> IndividualPlan:
    return services.individual_plan_open(
        actor=world.user("teacher"),
        child=child or world.own_child,
        reason="behavior",
        goals="不再打架",
        measures="每周谈心",
        responsible=world.user("teacher"),
        opened_on=TODAY - dt.timedelta(days=10),
    )


def test_the_child_file_offers_new_plans_to_writers_only(client, world):
    client.force_login(world.user("teacher"))
    html = client.get(reverse("child_detail", args=[world.own_child.pk])).content.decode()
    assert "新建学习帮扶计划" in html and "新建个别教育方案" in html
    client.force_login(world.user("township_supervisor"))
    html = client.get(reverse("child_detail", args=[world.own_child.pk])).content.decode()
    assert "新建学习帮扶计划" not in html and 'id="timeline"' in html


def test_a_teacher_creates_a_study_plan(client, world):
    client.force_login(world.user("teacher"))
    url = reverse("childplans_study_new", args=[world.own_child.pk])
    response = client.post(
        url,
        {
            "subjects": ["math", "english"],
            "goals": "期末及格",
            "measures": "每周辅导两次",
            "schedule": "周二、周四",
            "teacher": world.user("teacher").pk,
            "start_date": TODAY.isoformat(),
        },
    )
    plan = StudyPlan.objects.get()
    assert response.url == reverse("childplans_study_detail", args=[plan.pk])
    assert plan.subjects == "math,english" and plan.created_by == world.user("teacher")
    detail = client.get(reverse("child_detail", args=[world.own_child.pk])).content.decode()
    assert "学习帮扶计划：数学、英语" in detail  # listed among the open plans


def test_a_failed_plan_form_keeps_what_was_typed(client, world):
    client.force_login(world.user("teacher"))
    response = client.post(
        reverse("childplans_study_new", args=[world.own_child.pk]),
        {
            "subjects": ["math"],
            "goals": "期末及格的目标",
            "measures": "",
            "start_date": TODAY.isoformat(),
            "end_date": (TODAY - dt.timedelta(days=1)).isoformat(),
        },
    )
    html = response.content.decode()
    assert response.status_code == 200 and not StudyPlan.objects.exists()
    assert "期末及格的目标" in html and "invalid-feedback" in html


def test_an_end_before_the_start_is_shown_next_to_the_field(client, world):
    client.force_login(world.user("teacher"))
    response = client.post(
        reverse("childplans_study_new", args=[world.own_child.pk]),
        {
            "subjects": ["math"],
            "goals": "目标",
            "measures": "措施",
            "start_date": TODAY.isoformat(),
            "end_date": (TODAY - dt.timedelta(days=1)).isoformat(),
        },
    )
    assert response.context["form"].errors["end_date"] == ["结束日期不能早于开始日期"]


def test_a_check_is_added_and_a_future_one_refused(client, world):
    plan = _study(world)
    client.force_login(world.user("teacher"))
    url = reverse("childplans_study_check", args=[plan.pk])
    ok = client.post(url, {"date": TODAY.isoformat(), "result": "some", "scores": "70 分"})
    assert ok.status_code == 302 and StudyCheck.objects.count() == 1
    future = (TODAY + dt.timedelta(days=3)).isoformat()
    refused = client.post(url, {"date": future, "result": "some", "notes": "我写的说明"})
    assert refused.status_code == 200 and StudyCheck.objects.count() == 1
    html = refused.content.decode()
    assert "日期不能晚于今天" in html and "我写的说明" in html


def test_a_study_plan_is_closed_and_then_offers_no_forms(client, world):
    plan = _study(world)
    client.force_login(world.user("teacher"))
    response = client.post(
        reverse("childplans_study_close", args=[plan.pk]),
        {"closed_on": TODAY.isoformat(), "summary": "及格了"},
    )
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.status == PlanStatus.CLOSED
    html = client.get(reverse("childplans_study_detail", args=[plan.pk])).content.decode()
    assert "及格了" in html and 'id="add-check"' not in html
    again = client.post(
        reverse("childplans_study_check", args=[plan.pk]),
        {"date": TODAY.isoformat(), "result": "some"},
    )
    assert "该计划已结束，不能再添加检查" in again.content.decode()
    assert client.get(reverse("childplans_study_edit", args=[plan.pk])).status_code == 403


def test_an_individual_plan_is_opened_reviewed_and_closed(client, world):
    client.force_login(world.user("teacher"))
    response = client.post(
        reverse("childplans_individual_new", args=[world.own_child.pk]),
        {
            "reason": "truancy",
            "goals": "按时到校",
            "measures": "早上电话提醒",
            "responsible": world.user("teacher").pk,
            "opened_on": TODAY.isoformat(),
        },
    )
    plan = IndividualPlan.objects.get()
    assert response.url == reverse("childplans_individual_detail", args=[plan.pk])
    review = client.post(
        reverse("childplans_review_add", args=[plan.pk]),
        {"date": TODAY.isoformat(), "progress": "全勤一周"},
    )
    assert review.status_code == 302 and PlanReview.objects.count() == 1
    no_summary = client.post(
        reverse("childplans_individual_close", args=[plan.pk]), {"closed_on": TODAY.isoformat()}
    )
    assert "请填写结案小结" in no_summary.content.decode()
    closed = client.post(
        reverse("childplans_individual_close", args=[plan.pk]),
        {"closed_on": TODAY.isoformat(), "summary": "恢复正常"},
    )
    assert closed.status_code == 302
    plan.refresh_from_db()
    assert plan.status == PlanStatus.CLOSED
    late = client.post(
        reverse("childplans_review_add", args=[plan.pk]),
        {"date": TODAY.isoformat(), "progress": "再次回访"},
    )
    assert "该方案已结束，不能再添加回访" in late.content.decode()
    assert PlanReview.objects.count() == 1


def test_a_mentor_may_write_plans_for_a_mentee(client, world):
    """The teacher cannot edit the mentee's file (another class) but mentors the child."""
    client.force_login(world.user("teacher"))
    assert client.get(reverse("childplans_study_new", args=[world.mentee.pk])).status_code == 200
    plan = _individual(world, child=world.mentee)
    response = client.post(
        reverse("childplans_review_add", args=[plan.pk]),
        {"date": TODAY.isoformat(), "progress": "好转"},
    )
    assert response.status_code == 302


def test_a_township_supervisor_reads_plans_but_may_not_write(client, world):
    study, individual = _study(world), _individual(world)
    client.force_login(world.user("township_supervisor"))
    assert client.get(reverse("childplans_study_detail", args=[study.pk])).status_code == 200
    html = client.get(reverse("childplans_individual_detail", args=[individual.pk]))
    assert html.status_code == 200 and 'id="add-review"' not in html.content.decode()
    new = reverse("childplans_study_new", args=[world.own_child.pk])
    assert client.get(new).status_code == 403
    check = client.post(
        reverse("childplans_study_check", args=[study.pk]),
        {"date": TODAY.isoformat(), "result": "some"},
    )
    assert check.status_code == 403 and not StudyCheck.objects.exists()


def test_plans_out_of_scope_do_not_exist(client, world):
    study, individual = _study(world), _individual(world)
    client.force_login(world.user("stranger_teacher"))
    for url in (
        reverse("childplans_study_new", args=[world.own_child.pk]),
        reverse("childplans_individual_new", args=[world.own_child.pk]),
        reverse("childplans_study_detail", args=[study.pk]),
        reverse("childplans_individual_detail", args=[individual.pk]),
    ):
        assert client.get(url).status_code == 404, url
    close = client.post(
        reverse("childplans_individual_close", args=[individual.pk]),
        {"closed_on": TODAY.isoformat(), "summary": "x"},
    )
    assert close.status_code == 404
    individual.refresh_from_db()
    assert individual.is_open


def test_plan_pages_ask_anonymous_users_to_log_in(client, world):
    plan = _study(world)
    for url in (
        reverse("childplans_study_new", args=[world.own_child.pk]),
        reverse("childplans_study_detail", args=[plan.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]
