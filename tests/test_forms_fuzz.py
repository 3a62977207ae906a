"""Whatever is typed into any field of a form, ``is_valid()`` answers True or False and
never raises (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carenet.care.forms import CarePlanForm, PlanCreateForm, RecordForm
from carenet.care.models import DETAIL_FIELDS, CarePlan
from carenet.children.forms import ChildForm, family_forms

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Typed text: any characters (NUL, surrogates excluded by the browser), numbers, dates.
text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet="0123456789Xx-/ ", max_size=20),
    st.from_regex(r"\d{4}-\d{2}-\d{2}", fullmatch=True),
    st.integers(-(10**20), 10**20).map(str),
    st.sampled_from(["", " ", "0", "-1", "男", "M", "F", "true", "on", "\x00"]),
)


def _data(fields) -> st.SearchStrategy[dict]:
    return st.fixed_dictionaries({name: text for name in fields})


def _check(form) -> None:
    assert form.is_valid() in (True, False)
    form.errors.as_json()  # the error messages render too


@pytest.mark.django_db
@FUZZ
@given(data=_data(ChildForm.base_fields) | st.dictionaries(st.text(max_size=10), text))
def test_child_form_never_raises(data):
    _check(ChildForm(data))


@pytest.mark.django_db
@FUZZ
@given(data=st.data())
def test_family_forms_never_raise(data):
    names = [f"{relation}-{field}" for relation in ("father", "mother", "guardian") for field in (
        "name", "id_number", "phone", "work_province", "work_city", "employer",
        "employer_phone", "can_guard", "away_since", "back_since", "kinship", "age",
        "health", "education", "occupation", "address", "guardianship_quality",
    )]  # fmt: skip
    for form in family_forms(data.draw(_data(names))).values():
        _check(form)


@FUZZ
@given(data=_data(RecordForm.base_fields))
def test_record_form_never_raises(data):
    form = RecordForm(data)
    _check(form)
    assert sum(fieldset.shown for fieldset in form.kind_fieldsets()) <= 1
    if form.is_valid():
        # Only the chosen kind's own fields are kept.
        assert set(form.details()) <= set(DETAIL_FIELDS.get(form.cleaned_data["kind"], ()))


@pytest.mark.django_db
@FUZZ
@given(data=st.data())
def test_care_plan_forms_never_raise(data):
    plan = CarePlan()
    names = list(CarePlanForm(instance=plan).fields)
    form = CarePlanForm(data.draw(_data(names)), instance=plan)
    _check(form)
    if form.is_valid():
        form.plan_data()
    from carenet.orgs.models import Org

    _check(PlanCreateForm(data.draw(_data(PlanCreateForm.base_fields)), orgs=Org.objects.all()))
