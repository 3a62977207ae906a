"""Care plans, presets and the school calendar: what is due when."""

import datetime as dt

import pytest

from carenet.care import calendar
from carenet.care.models import CareKind, Frequency
from carenet.care.presets import PRESETS, TARGETS, preset_plan
from carenet.care.selectors import next_due, plan_in_force, plans_in_force

D = dt.date


class TestPresets:
    def test_weekly_talks_reproduces_the_weekly_seed_plan(self, world):
        plan = preset_plan("weekly_talks", org=world.county, school_year=2026)
        assert plan.frequency(CareKind.TALK) == Frequency.WEEKLY
        assert plan.frequency(CareKind.PARENT_CALL) == Frequency.MONTHLY
        assert plan.frequency(CareKind.HOME_VISIT) == Frequency.QUARTERLY

    def test_monthly_talks_visits_at_the_start_middle_and_end_of_each_term(self, world):
        plan = preset_plan("monthly_talks", org=world.county, school_year=2026)
        assert plan.frequency(CareKind.TALK) == Frequency.MONTHLY
        assert plan.frequency(CareKind.HOME_VISIT) == Frequency.TERM_START_MIDDLE_END
        assert plan.frequency(CareKind.PARENT_CALL) == Frequency.MONTHLY

    def test_a_preset_carries_targets_mentor_load_and_the_monthly_schedule(self, world):
        plan = preset_plan("monthly_talks", org=world.county, school_year=2026)
        assert plan.targets == TARGETS and plan.targets["immunization_rate"] == 95
        assert (plan.mentor_min, plan.mentor_max) == (5, 7)
        october = next(e for e in plan.schedule if e["month"] == 10)
        assert any("中秋" in item and "家访" in item for item in october["items"])
        assert plan.leading_group["leader"]

    def test_every_preset_can_be_saved(self, world):
        for key in PRESETS:
            preset_plan(key, org=world.school, school_year=2030 + len(key)).save()


class TestPlanInForce:
    def test_without_any_plan_the_county_default_preset_rules_unsaved(self, world):
        plan = plan_in_force(world.class_1, D(2026, 10, 1))
        assert plan.pk is None and plan.preset == "weekly_talks"
        assert plan.school_year == 2026

    def test_a_county_plan_is_inherited_and_a_school_may_override_it(self, world):
        preset_plan("monthly_talks", org=world.county, school_year=2026).save()
        preset_plan("weekly_talks", org=world.school, school_year=2026).save()
        on = D(2026, 11, 2)
        assert plan_in_force(world.class_1, on).org == world.school
        assert plan_in_force(world.other_class, on).org == world.county
        assert plan_in_force(world.other_school, on).preset == "monthly_talks"

    def test_a_plan_rules_only_its_school_year(self, world):
        preset_plan("monthly_talks", org=world.school, school_year=2026).save()
        assert plan_in_force(world.school, D(2026, 8, 31)).pk is None
        assert plan_in_force(world.school, D(2027, 8, 31)).pk is not None

    def test_plans_for_many_orgs_take_one_query(self, world, django_assert_num_queries):
        preset_plan("monthly_talks", org=world.township, school_year=2026).save()
        with django_assert_num_queries(1):
            plans = plans_in_force([world.school, world.other_school], D(2026, 10, 1))
        assert plans[world.school.pk].preset == "monthly_talks"
        assert plans[world.other_school.pk].pk is None


class TestCalendar:
    def test_terms_and_breaks(self):
        assert calendar.term_of(D(2026, 9, 1)) == (D(2026, 9, 1), D(2027, 1, 15))
        assert calendar.term_of(D(2027, 1, 30)) is None
        assert calendar.term_of(D(2027, 3, 1)) == (D(2027, 2, 15), D(2027, 7, 5))
        assert calendar.term_of(D(2027, 8, 1)) is None

    def test_a_year_the_holiday_package_does_not_know_falls_back_to_weekends(self):
        assert calendar.is_workday(D(2099, 1, 5)) is True  # a Monday
        assert calendar.is_workday(D(2099, 1, 3)) is False  # a Saturday


class TestDueDates:
    def test_a_talk_due_in_the_national_day_holiday_moves_to_the_next_working_day(self):
        # Weekly after Thursday 24 September: 1 October, inside 国庆 (1–7 October 2026).
        assert next_due("talk", "weekly", D(2026, 9, 24), D(2026, 9, 25)) == D(2026, 10, 8)

    def test_a_call_due_in_the_holiday_moves_too(self):
        assert next_due("parent_call", "monthly", D(2026, 9, 1), D(2026, 9, 2)) == D(2026, 10, 8)

    def test_an_adjusted_workday_saturday_is_a_working_day(self):
        # 10 October 2026 is a Saturday worked in exchange for the holiday (调休).
        assert next_due("talk", "weekly", D(2026, 10, 3), D(2026, 10, 3)) == D(2026, 10, 10)

    def test_no_talk_is_due_in_the_winter_break_it_waits_for_the_new_term(self):
        assert next_due("talk", "weekly", D(2027, 1, 14), D(2027, 1, 14)) == D(2027, 2, 15)

    def test_a_call_to_the_parents_is_not_paused_by_the_break(self):
        assert next_due("parent_call", "weekly", D(2027, 1, 14), D(2027, 1, 14)) == D(2027, 1, 21)

    @pytest.mark.parametrize(
        ("frequency", "last", "due"),
        [
            ("weekly", D(2026, 10, 12), D(2026, 10, 19)),
            ("biweekly", D(2026, 10, 12), D(2026, 10, 26)),
            ("monthly", D(2026, 10, 12), D(2026, 11, 12)),
            ("quarterly", D(2026, 9, 14), D(2026, 12, 14)),
            ("termly", D(2026, 9, 14), D(2027, 7, 5)),
            ("term_start_middle_end", D(2026, 9, 14), D(2026, 11, 9)),  # 8th: a Sunday
            ("term_start_middle_end", D(2026, 11, 24), D(2027, 1, 15)),
            ("term_start_middle_end", D(2027, 1, 14), D(2027, 3, 1)),
        ],
    )
    def test_frequencies_give_due_dates(self, frequency, last, due):
        assert next_due("talk", frequency, last, D(2026, 10, 12)) == due

    def test_without_a_record_the_first_one_is_due_a_period_after_term_start(self):
        assert next_due("talk", "weekly", None, D(2026, 10, 12)) == D(2026, 9, 8)
        assert next_due("home_visit", "term_start_middle_end", None, D(2026, 9, 2)) == D(
            2026, 9, 15
        )

    def test_a_kind_the_plan_does_not_schedule_is_never_due(self):
        assert next_due("letter", "none", None, D(2026, 10, 12)) is None
