"""No existence oracle: an ID number on file that the user may not see is refused with the
same words everywhere (never "on file elsewhere"), each refusal is logged without the ID
number, and the refusals are rate-limited per user — on the web form, the API child
create and the register import."""

import datetime as dt
import json

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from carenet.accounts.tokens import token_issue
from carenet.audit.models import AccessAction, AccessLog
from carenet.audit.refusals import REFUSALS_PER_HOUR
from carenet.children.models import Child, ChildStatus
from carenet.cli import main
from carenet.exchange.importer import import_preview, import_preview_checked
from carenet.exchange.models import ImportBatch
from carenet.lib.idcard import make_id_number
from tests.factories import child_add
from tests.import_files import SIMPLE_HEADER, an_id, simple_row, xlsx

pytestmark = pytest.mark.django_db

REFUSED = "该身份证号无法在此使用；如为转学，请联系县级管理员办理"
THROTTLED = "身份证号核验次数过多，请一小时后再试"
BIRTH = dt.date(2016, 5, 6)


def _fresh_id(n: int = 0) -> str:
    return make_id_number("340827", BIRTH, 701 + 2 * n, "F")


def _form_data(world, id_number: str) -> dict:
    return {
        "name": "陈思雨",
        "id_number": id_number,
        "ethnicity": "汉族",
        "school_class": world.class_1.pk,
        "village": world.village.pk,
        "health": "healthy",
        "schooling": "enrolled",
        "immunization": "complete",
        "risk_level": "low",
        "father-can_guard": "on",
        "mother-can_guard": "on",
    }


def _web_id_error(client, world, id_number: str) -> str:
    """The ID-number message of the create form posted by the teacher."""
    client.force_login(world.user("teacher"))
    response = client.post(reverse("child_create"), _form_data(world, id_number))
    if response.status_code == 302:
        return ""
    form = response.context["form"]
    return form.errors.get("id_number", [""])[0]


def _api_post(client, world, id_number: str, username: str = "teacher"):
    _, key = token_issue(user=world.user(username))
    body = {"name": "刘洋", "id_number": id_number, "class": world.class_1.code}
    return client.post(
        "/api/v1/children", body, content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )  # fmt: skip


def _refusals(username: str | None = None):
    entries = AccessLog.objects.filter(action=AccessAction.ID_REFUSED)
    return entries.filter(username=username) if username is not None else entries


def _no_id_in_log(*id_numbers: str) -> None:
    for entry in AccessLog.objects.all():
        text = f"{entry.detail} {entry.user_agent}"
        assert not any(number in text or number[-8:] in text for number in id_numbers)


class TestTheWebForm:
    def test_an_id_number_out_of_scope_is_refused_without_saying_it_is_on_file(self, client, world):
        message = _web_id_error(client, world, world.outsider.id_number)
        assert message == REFUSED
        assert "建档" not in message and "其他" not in message
        assert Child.objects.filter(name="陈思雨").count() == 0

    def test_the_refusal_is_the_same_for_an_archived_child_the_user_no_longer_sees(
        self, client, world
    ):
        archived = child_add(world.class_1, name="归档生", status=ChildStatus.ARCHIVED)
        assert _web_id_error(client, world, archived.id_number) == REFUSED
        assert _web_id_error(client, world, world.outsider.id_number) == REFUSED

    def test_each_refusal_is_logged_with_the_user_and_no_id_number(self, client, world):
        _web_id_error(client, world, world.outsider.id_number)
        _web_id_error(client, world, world.villager_elsewhere.id_number)
        entries = list(_refusals("teacher"))
        assert len(entries) == 2
        assert all(e.child is None and e.child_ref is None for e in entries)
        assert {e.county_code for e in entries} == {"340827"}
        _no_id_in_log(world.outsider.id_number, world.villager_elsewhere.id_number)

    def test_the_county_admin_finds_the_refusals_in_the_access_log(self, client, world):
        _web_id_error(client, world, world.outsider.id_number)
        client.force_login(world.user("county_admin"))
        html = client.get(reverse("audit_log"), {"action": "id_refused"}).content.decode()
        assert "teacher" in html and world.outsider.id_number not in html

    def test_a_child_the_user_may_see_is_still_named_a_duplicate_and_not_logged(
        self, client, world
    ):
        assert "已在系统中建档" in _web_id_error(client, world, world.own_child.id_number)
        assert not _refusals().exists()

    def test_changing_the_id_number_on_the_edit_form_to_one_out_of_scope_is_refused(
        self, client, world
    ):
        child = world.own_child
        client.force_login(world.user("teacher"))
        data = _form_data(world, world.outsider.id_number)
        data.update(name=child.name, gender="M", birth_date="2015-03-04")
        response = client.post(reverse("child_edit", args=[child.pk]), data)
        assert response.status_code == 200
        assert response.context["form"].errors["id_number"] == [REFUSED]
        assert _refusals("teacher").count() == 1

    def test_after_the_hourly_budget_every_new_id_number_is_refused_unchecked(self, client, world):
        for _attempt in range(REFUSALS_PER_HOUR):
            assert _web_id_error(client, world, world.outsider.id_number) == REFUSED
        assert _web_id_error(client, world, world.outsider.id_number) == THROTTLED
        # Not looked up at all: a number that is not on file gets the same answer.
        assert _web_id_error(client, world, _fresh_id()) == THROTTLED
        assert not Child.objects.filter(name="陈思雨").exists()
        assert _refusals("teacher").count() == REFUSALS_PER_HOUR
        with time_machine.travel(timezone.now() + dt.timedelta(hours=1, minutes=1)):
            assert _web_id_error(client, world, _fresh_id()) == ""
        assert Child.objects.filter(name="陈思雨").exists()

    def test_a_spent_budget_still_lets_the_user_save_a_file_whose_id_is_unchanged(
        self, client, world
    ):
        for _attempt in range(REFUSALS_PER_HOUR):
            _web_id_error(client, world, world.outsider.id_number)
        child = world.own_child
        url = reverse("child_edit", args=[child.pk])
        form = client.get(url).context["form"]
        data = _form_data(world, form["id_number"].value())  # as shown: masked
        data.update(name="王子晗", gender="M", birth_date="2015-03-04")
        assert client.post(url, data).status_code == 302
        child.refresh_from_db()
        assert child.name == "王子晗"

    def test_the_budget_is_each_users_own(self, client, world):
        for _attempt in range(REFUSALS_PER_HOUR):
            _web_id_error(client, world, world.outsider.id_number)
        client.force_login(world.user("principal"))
        data = _form_data(world, world.outsider.id_number)
        response = client.post(reverse("child_create"), data)
        assert response.context["form"].errors["id_number"] == [REFUSED]


class TestTheApi:
    def test_an_id_number_out_of_scope_is_refused_with_the_same_words_and_logged(
        self, client, world
    ):
        response = _api_post(client, world, world.outsider.id_number)
        assert response.status_code == 422
        errors = {e["field"]: e["message"] for e in response.json()["detail"]}
        assert errors["id_number"] == REFUSED
        assert _refusals("teacher").count() == 1
        _no_id_in_log(world.outsider.id_number)

    def test_the_api_and_the_web_form_share_the_budget(self, client, world):
        for _attempt in range(REFUSALS_PER_HOUR):
            _api_post(client, world, world.outsider.id_number)
        response = _api_post(client, world, _fresh_id())
        errors = {e["field"]: e["message"] for e in response.json()["detail"]}
        assert errors["id_number"] == THROTTLED
        assert _web_id_error(client, world, _fresh_id(1)) == THROTTLED


def _register(*ids: str) -> bytes:
    rows = [SIMPLE_HEADER] + [simple_row(n, f"生{n}", i) for n, i in enumerate(ids, 1)]
    return xlsx(rows)


def _upload(client, world, data: bytes, username: str = "principal"):
    client.force_login(world.user(username))
    upload = SimpleUploadedFile("花名册.xlsx", data)
    return client.post("/exchange/import/", {"school": world.school.pk, "file": upload})


def _row_messages(preview) -> dict[int, list[str]]:
    return {r.row: [e.message for e in r.errors] for r in preview.rejected_rows}


class TestTheRegisterImport:
    def test_a_row_with_an_id_number_out_of_scope_gets_the_same_words(self, world):
        preview = import_preview(
            data=_register(an_id(), world.outsider.id_number),
            filename="花名册.xlsx",
            school=world.school,
            user=world.user("principal"),
        )
        assert _row_messages(preview) == {3: [REFUSED]}
        assert preview.refused == [3] and preview.created == 1

    def test_a_child_at_another_school_the_user_may_see_keeps_todays_message(self, world):
        preview = import_preview(
            data=_register(world.villager_elsewhere.id_number),
            filename="花名册.xlsx",
            school=world.school,
            user=world.user("county_admin"),
        )
        assert "已在其他学校建档" in _row_messages(preview)[2][0]
        assert preview.refused == []

    def test_a_child_of_the_school_is_still_updated(self, world):
        preview = import_preview(
            data=_register(world.own_child.id_number),
            filename="花名册.xlsx",
            school=world.school,
            user=world.user("principal"),
        )
        assert preview.rejected == 0 and preview.refused == []

    def test_the_web_upload_logs_each_refused_row_without_the_id_number(self, client, world):
        response = _upload(client, world, _register(world.outsider.id_number, an_id()))
        assert response.status_code == 302
        entries = list(_refusals("principal"))
        assert len(entries) == 1 and "第 2 行" in entries[0].detail
        _no_id_in_log(world.outsider.id_number)
        preview = client.get(response["Location"]).content.decode()
        assert REFUSED in preview and "其他学校" not in preview

    def test_a_register_with_more_refused_rows_than_the_budget_is_refused_whole(
        self, client, world
    ):
        outsiders = [
            child_add(world.other_class, name=f"外{n}").id_number
            for n in range(REFUSALS_PER_HOUR + 1)
        ]
        response = _upload(client, world, _register(*outsiders, an_id()))
        assert response.status_code == 200
        html = response.content.decode()
        assert THROTTLED in html and REFUSED not in html and "第 2 行" not in html
        assert not ImportBatch.objects.exists()
        entries = _refusals("principal")
        assert entries.count() == REFUSALS_PER_HOUR  # the budget spent, no row numbers
        assert not any("第" in e.detail for e in entries)
        # The budget is spent: the web form checks nothing more this hour.
        client.force_login(world.user("principal"))
        response = client.post(reverse("child_create"), _form_data(world, _fresh_id()))
        assert response.context["form"].errors["id_number"] == [THROTTLED]

    def test_a_user_whose_budget_is_spent_cannot_have_a_register_checked(self, client, world):
        for _attempt in range(REFUSALS_PER_HOUR):
            _upload(client, world, _register(world.outsider.id_number))
        response = _upload(client, world, _register(an_id()))
        assert response.status_code == 200 and THROTTLED in response.content.decode()
        assert ImportBatch.objects.count() == REFUSALS_PER_HOUR

    def test_the_command_line_refuses_with_the_same_words_and_logs_it(
        self, world, tmp_path, capsys
    ):
        path = tmp_path / "花名册.xlsx"
        path.write_bytes(_register(world.outsider.id_number))
        main(["import", "children", str(path), "--school", world.school.code, "--json"])
        rejected = json.loads(capsys.readouterr().out)["rejected"]
        assert [e["message"] for r in rejected for e in r["errors"]] == [REFUSED]
        entry = _refusals("").get()
        assert entry.user is None and entry.county_code == "340827"
        _no_id_in_log(world.outsider.id_number)

    def test_import_preview_checked_returns_the_preview_when_within_budget(self, world):
        preview = import_preview_checked(
            data=_register(world.outsider.id_number),
            filename="花名册.xlsx",
            school=world.school,
            user=world.user("principal"),
        )
        assert preview.refused == [2]
