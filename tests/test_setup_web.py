"""The setup page (/setup/): a new site's way in for its first county administrator, open
only while nobody has a role anywhere; on an empty database unless said otherwise."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine

from carenet.care.models import CarePlan
from carenet.orgs.models import Membership, Org, OrgKind, Role
from carenet.orgs.services import county_setup

pytestmark = pytest.mark.django_db
TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
PASSWORD = "望江关爱2026-river"
ACCOUNT = {
    "username": "wj_admin",
    "name": "江主任",
    "password1": PASSWORD,
    "password2": PASSWORD,
}


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(dt.datetime(2026, 10, 12, 9, 0, tzinfo=TZ), tick=False):
        yield


def _create(client, **overrides):
    data = {"code": "340827", "step": "create", **ACCOUNT, **overrides}
    return client.post("/setup/", data)


def test_an_empty_site_shows_the_setup_page(client):
    response = client.get("/setup/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "行政区划代码" in body and 'id="setup-code-form"' in body


@pytest.mark.parametrize("path", ["/", "/children/", "/care/plans/", "/admin/", "/dashboard/"])
def test_every_page_redirects_to_setup_while_nobody_has_a_role(client, path):
    response = client.get(path)
    assert response.status_code == 302 and response["Location"] == "/setup/", path


def test_the_open_paths_answer_as_usual_on_an_empty_site(client):
    assert client.get("/healthz").status_code == 200
    assert client.get("/login/").status_code == 200
    assert client.get("/privacy/").status_code == 200
    assert client.get("/api/v1/orgs").status_code == 401


def test_a_superuser_made_with_createsuperuser_is_sent_to_setup_too(client, django_user_model):
    admin = django_user_model.objects.create_superuser("root", password="x")
    client.force_login(admin)
    assert client.get("/")["Location"] == "/setup/"


def test_a_code_shows_the_county_and_its_counts_before_anything_is_made(client):
    response = client.post("/setup/", {"code": " 340827 ", "step": "preview"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "安徽省安庆市望江县" in body and "华阳镇" in body and 'id="setup-admin-form"' in body
    assert "14 个乡镇（街道）、136 个村（社区）" in body
    assert not Org.objects.exists()


@pytest.mark.parametrize(
    "code, message",
    [("34082x", "6 位数字"), ("340829", "没有代码为 340829 的县级行政区")],
)
def test_a_bad_code_is_refused_in_chinese_keeping_what_was_typed(client, code, message):
    response = client.post("/setup/", {"code": code, "step": "preview"})
    body = response.content.decode()
    assert response.status_code == 200
    assert message in body and f'value="{code}"' in body and "is-invalid" in body
    if code == "340829":
        assert "340827 安徽省安庆市望江县" in body
    assert not Org.objects.exists()


def test_confirming_creates_the_county_its_plan_and_the_signed_in_administrator(client):
    response = _create(client)
    assert response.status_code == 302 and response["Location"] == "/"
    county = Org.objects.get(code="340827", kind=OrgKind.COUNTY)
    assert Org.objects.filter(county_code="340827", name="华阳镇", kind="township").exists()
    membership = Membership.objects.get()
    assert (membership.user.username, membership.user.first_name) == ("wj_admin", "江主任")
    assert (membership.org, membership.role) == (county, Role.COUNTY_ADMIN)
    assert membership.user.check_password(PASSWORD) and not membership.user.is_superuser
    assert CarePlan.objects.get().org == county
    home = client.get("/")
    assert home.status_code == 200 and "江主任" in home.content.decode()


def test_after_that_the_setup_page_answers_404_and_other_pages_no_longer_redirect(client):
    _create(client)
    assert client.get("/setup/").status_code == 404
    assert _create(client, username="intruder").status_code == 404
    client.logout()
    assert client.get("/")["Location"].startswith("/login/")
    assert Membership.objects.count() == 1


def test_the_administrator_edits_the_countys_care_plan(client):
    _create(client)
    plan = CarePlan.objects.get()
    assert client.get(f"/care/plans/{plan.pk}/").status_code == 200
    form = client.get(f"/care/plans/{plan.pk}/edit/")
    assert form.status_code == 200
    data = {
        "name": "望江县关爱留守儿童工作计划",
        "mentor_min": 5,
        "mentor_max": 7,
        "leader": "江主任",
        "members": "",
        "schedule_text": "9月：制定计划",
    }
    for kind in ("talk", "parent_call", "guardian_contact", "home_visit", "letter"):
        data[f"freq_{kind}"] = plan.frequency(kind)
    for key, value in plan.targets.items():
        data[f"target_{key}"] = value
    response = client.post(f"/care/plans/{plan.pk}/edit/", data)
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.name == "望江县关爱留守儿童工作计划"


@pytest.mark.parametrize(
    "overrides, field_message",
    [
        ({"password2": "something-else-2026"}, "两次输入的密码不一致"),
        ({"password1": "short", "password2": "short"}, "密码太短"),
        ({"password1": "password123", "password2": "password123"}, ""),
        ({"name": ""}, ""),
    ],
)
def test_a_bad_account_is_refused_and_nothing_is_made(client, overrides, field_message):
    response = _create(client, **overrides)
    assert response.status_code == 200
    body = response.content.decode()
    assert "is-invalid" in body and field_message in body
    assert "安徽省安庆市望江县" in body  # the preview stays
    assert not Org.objects.exists() and not Membership.objects.exists()


def test_a_county_set_up_from_the_command_line_asks_only_for_its_administrator(client):
    county = county_setup(code="340827", today=dt.date(2026, 10, 12)).county
    assert client.get("/")["Location"] == "/setup/"
    page = client.get("/setup/").content.decode()
    assert 'id="setup-counties"' in page and "望江县" in page and "setup-code-form" not in page
    response = client.post("/setup/", {"county": county.pk, **ACCOUNT})
    assert response.status_code == 302
    assert Membership.objects.get().org == county
    assert client.get("/setup/").status_code == 404


def test_a_site_with_staff_never_shows_the_setup_page(world, client):
    assert client.get("/setup/").status_code == 404
    client.force_login(world.user("county_admin"))
    assert client.get("/setup/").status_code == 404
    assert client.get("/").status_code == 200
