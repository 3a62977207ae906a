"""Plans for one child: study plans with checks, individual plans with reviews."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from carenet.alerts.models import AlertRule, Severity
from carenet.alerts.services import alert_raise
from carenet.childplans import services
from carenet.childplans.models import PlanStatus
from carenet.childplans.selectors import open_individual_plans, plans_for_child
from carenet.children.models import Child, RiskLevel

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
TOMORROW = TODAY + dt.timedelta(days=1)


def _study(world, **extra):
    values = dict(
        actor=world.user("teacher"),
        child=world.own_child,
        subjects=["math", "chinese"],
        goals="期末数学及格",
        measures="每周两次课后辅导",
        start_date=TODAY - dt.timedelta(days=30),
        schedule="每周二、四午休后",
        buddy_name="李小红",
    )
    values.update(extra)
    return services.study_plan_create(**values)


def _individual(world, **extra):
    values = dict(
        actor=world.user("teacher"),
        child=world.own_child,
        reason="truancy",
        goals="按时到校",
        measures="每天早上电话提醒",
        responsible=world.user("teacher"),
        opened_on=TODAY - dt.timedelta(days=20),
    )
    values.update(extra)
    return services.individual_plan_open(**values)


def _errors(call, **kwargs) -> dict:
    with pytest.raises(ValidationError) as exc:
        call(**kwargs)
    return exc.value.message_dict


def test_a_study_plan_is_created_checked_and_closed(world):
    plan = _study(world)
    assert plan.subject_labels() == "数学、语文" and plan.county_code == "340827"
    check = services.study_check_add(
        actor=world.user("teacher"), plan=plan, date=TODAY, result="some", scores="72 分"
    )
    services.study_plan_close(plan=plan, closed_on=TODAY, summary="数学及格")
    plan.refresh_from_db()
    assert plan.status == PlanStatus.CLOSED and plan.closing_summary == "数学及格"
    assert list(plan.checks.all()) == [check]


def test_a_study_plan_is_updated_while_open(world):
    plan = _study(world)
    services.study_plan_update(
        plan=plan, subjects=["english"], goals="背单词", measures="晨读", start_date=TODAY
    )
    plan.refresh_from_db()
    assert (plan.subjects, plan.goals) == ("english", "背单词")


def test_a_study_plan_needs_subjects_and_an_end_after_its_start(world):
    errors = _errors(
        _study, world=world, subjects=[], goals="", end_date=TODAY - dt.timedelta(days=60)
    )
    assert set(errors) == {"subjects", "goals", "end_date"}
    assert errors["end_date"] == ["结束日期不能早于开始日期"]


def test_a_study_plan_refuses_an_unknown_subject(world):
    assert _errors(_study, world=world, subjects=["cooking"])["subjects"] == ["科目无效"]


def test_a_check_in_the_future_is_refused(world):
    plan = _study(world)
    errors = _errors(
        services.study_check_add,
        actor=world.user("teacher"),
        plan=plan,
        date=TOMORROW,
        result="some",
    )
    assert errors["date"] == ["日期不能晚于今天"]


def test_a_closed_study_plan_takes_no_more_checks_and_no_changes(world):
    plan = _study(world)
    services.study_plan_close(plan=plan, closed_on=TODAY)
    errors = _errors(
        services.study_check_add, actor=world.user("teacher"), plan=plan, date=TODAY, result="none"
    )
    assert errors["__all__"] == ["该计划已结束，不能再添加检查"]
    assert "__all__" in _errors(
        services.study_plan_update,
        plan=plan,
        subjects=["math"],
        goals="x",
        measures="y",
        start_date=TODAY,
    )
    assert "__all__" in _errors(services.study_plan_close, plan=plan, closed_on=TODAY)


def test_opening_an_individual_plan_raises_a_low_risk_to_medium(world):
    child = world.school_child  # no alert: low
    child.refresh_from_db()
    assert child.risk_level == RiskLevel.LOW
    plan = _individual(world, child=child)
    child.refresh_from_db()
    assert child.risk_level == RiskLevel.MEDIUM  # derived: an open individual plan
    services.individual_plan_close(plan=plan, closed_on=TODAY, summary="已好转")
    child.refresh_from_db()
    assert child.risk_level == RiskLevel.LOW


def test_opening_an_individual_plan_leaves_a_high_risk_alone(world):
    # A severe alert (a text signal of self-harm, which the rules never clear): high.
    alert_raise(
        child=world.own_child,
        rule=AlertRule.TEXT_SIGNAL,
        category="self_harm",
        key="record:0:self_harm",
        severity=Severity.SEVERE,
        evidence={},
    )
    world.own_child.refresh_from_db()
    assert world.own_child.risk_level == RiskLevel.HIGH
    _individual(world)
    world.own_child.refresh_from_db()
    assert world.own_child.risk_level == RiskLevel.HIGH


def test_an_individual_plan_is_reviewed_then_closed_with_a_summary(world):
    plan = _individual(world)
    review = services.plan_review_add(
        actor=world.user("teacher"), plan=plan, date=TODAY, progress="本周全勤"
    )
    assert list(open_individual_plans(Child.objects.all())) == [plan]
    services.individual_plan_close(plan=plan, closed_on=TODAY, summary="已恢复正常上学")
    plan.refresh_from_db()
    assert plan.status == PlanStatus.CLOSED and plan.closing_summary == "已恢复正常上学"
    assert list(plan.reviews.all()) == [review]
    assert not open_individual_plans(Child.objects.all()).exists()


def test_closing_an_individual_plan_requires_a_summary(world):
    plan = _individual(world)
    errors = _errors(services.individual_plan_close, plan=plan, closed_on=TODAY, summary=" ")
    assert errors == {"summary": ["请填写结案小结"]}


def test_a_closed_individual_plan_takes_no_review(world):
    plan = _individual(world)
    services.individual_plan_close(plan=plan, closed_on=TODAY, summary="好转")
    errors = _errors(
        services.plan_review_add,
        actor=world.user("teacher"),
        plan=plan,
        date=TODAY,
        progress="x",
    )
    assert errors["__all__"] == ["该方案已结束，不能再添加回访"]


def test_reviews_and_openings_in_the_future_are_refused(world):
    plan = _individual(world)
    errors = _errors(
        services.plan_review_add,
        actor=world.user("teacher"),
        plan=plan,
        date=TOMORROW,
        progress="x",
    )
    assert errors == {"date": ["日期不能晚于今天"]}
    assert _errors(_individual, world=world, opened_on=TOMORROW)["opened_on"]


def test_other_reason_needs_an_explanation(world):
    assert "reason_detail" in _errors(_individual, world=world, reason="other")


def test_plans_for_child_are_empty_for_a_user_out_of_scope(world):
    _study(world)
    _individual(world)
    assert len(plans_for_child(world.user("teacher"), world.own_child).open_study) == 1
    outsider = plans_for_child(world.user("stranger_teacher"), world.own_child)
    assert (outsider.study, outsider.individual) == ([], [])
