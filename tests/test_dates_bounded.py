"""Every date a user or a program gives is within one range (carenet.lib.dates): a date far
in the past or future is a 422 on the API, a form error or a fallback on the pages, and
exit 2 on the command line — never a server error."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from carenet.accounts.tokens import token_issue
from carenet.care.models import CareRecord
from carenet.cli import main
from carenet.lib.dates import EARLIEST, LATEST

pytestmark = pytest.mark.django_db

OUT_OF_RANGE = ["0016-08-04", "0001-01-01", "1899-12-31", "2101-01-01", "9999-12-31"]
RANGE_MESSAGE = f"日期须在{EARLIEST}至{LATEST}之间。"


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(dt.datetime(2026, 10, 12, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))):
        yield


@pytest.fixture
def bearer(world):
    _, key = token_issue(user=world.user("principal"))
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


@pytest.mark.parametrize("path", ["/api/v1/kpis", "/api/v1/tasks/due"])
@pytest.mark.parametrize("day", OUT_OF_RANGE)
def test_an_api_date_out_of_range_is_a_422_naming_the_parameter(client, bearer, path, day):
    response = client.get(path, {"as_of": day}, **bearer)
    assert response.status_code == 422
    assert response.json() == {"detail": [{"field": "as_of", "message": RANGE_MESSAGE}]}


@pytest.mark.parametrize("path", ["/api/v1/kpis", "/api/v1/tasks/due"])
@pytest.mark.parametrize("day", [EARLIEST, LATEST])
def test_the_ends_of_the_range_are_answered(client, bearer, path, day):
    assert client.get(path, {"as_of": day.isoformat()}, **bearer).status_code == 200


def test_a_record_dated_out_of_range_is_a_422(client, world):
    _, key = token_issue(user=world.user("teacher"))
    response = client.post(
        f"/api/v1/children/{world.own_child.pk}/records",
        {"kind": "talk", "date": "0016-08-04", "summary": "谈心"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert response.status_code == 422
    assert response.json()["detail"] == [{"field": "date", "message": RANGE_MESSAGE}]
    assert not CareRecord.objects.exists()


def test_a_record_form_dated_out_of_range_keeps_what_was_typed(client, world):
    client.force_login(world.user("teacher"))
    url = f"/care/children/{world.own_child.pk}/records/new/"
    response = client.post(url, {"kind": "talk", "date": "1800-01-01", "summary": "不能丢"})
    assert response.status_code == 200
    body = response.content.decode()
    assert RANGE_MESSAGE in body and "不能丢" in body
    assert not CareRecord.objects.exists()


@pytest.mark.parametrize("day", ["0016-08-04", "9999-12-31"])
def test_a_dashboard_date_out_of_range_falls_back_to_today(client, world, day):
    client.force_login(world.user("county_admin"))
    response = client.get("/dashboard/", {"as_of": day})
    assert response.status_code == 200
    assert "统计日期超出范围，已按今天统计。" in response.content.decode()


@pytest.mark.parametrize("query", [{"month": "0016-08"}, {"month": "9999-12"}])
def test_a_child_list_month_out_of_range_filters_nothing(client, world, query):
    client.force_login(world.user("county_admin"))
    response = client.get("/children/", query)
    assert response.status_code == 200


def test_an_access_log_filter_out_of_range_is_not_an_error(client, world):
    client.force_login(world.user("county_admin"))
    assert (
        client.get("/audit/log/", {"since": "0016-08-04", "until": "9999-12-31"}).status_code == 200
    )


def test_a_command_date_out_of_range_exits_2(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["remind", "--today", "0016-08-04"])
    assert exit_info.value.code == 2
    assert "not between 1900-01-01 and 2100-12-31" in capsys.readouterr().err
