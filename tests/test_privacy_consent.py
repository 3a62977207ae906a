"""Legal basis per child, correction/deletion requests, and the public notice."""

import pytest
from django.urls import reverse

from carenet.audit.models import AccessLog, Consent, DataRequest

pytestmark = pytest.mark.django_db


def test_the_notice_is_public_and_in_chinese(client, settings):
    settings.CARENET_RETENTION_YEARS = 4
    response = client.get(reverse("privacy_notice"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "个人信息处理说明" in html and "归档满 4 年" in html and "更正" in html


def test_an_editor_records_and_withdraws_a_consent(client, world):
    client.force_login(world.user("teacher"))
    url = reverse("audit_child_privacy", args=[world.own_child.pk])
    response = client.post(
        url,
        {
            "form": "consent",
            "basis": "guardian_consent",
            "given_by": "王奶奶",
            "given_on": "2026-03-01",
            "note": "纸质同意书存档",
        },
    )
    assert response.status_code == 302
    consent = Consent.objects.get(child=world.own_child)
    assert "王奶奶" in client.get(url).content.decode()
    withdraw = reverse("audit_consent_withdraw", args=[consent.pk])
    assert client.post(withdraw).status_code == 302
    assert client.post(withdraw).status_code == 302
    consent.refresh_from_db()
    assert consent.withdrawn_on is not None
    assert AccessLog.objects.filter(action="consent").count() == 2


def test_a_reader_cannot_record_a_consent(client, world):
    client.force_login(world.user("township_supervisor"))
    url = reverse("audit_child_privacy", args=[world.own_child.pk])
    assert client.get(url).status_code == 200
    data = {"form": "consent", "basis": "statutory_duty", "given_on": "2026-03-01"}
    assert client.post(url, data).status_code == 403
    assert not Consent.objects.exists()


def test_an_invalid_consent_is_shown_again(client, world):
    client.force_login(world.user("teacher"))
    url = reverse("audit_child_privacy", args=[world.own_child.pk])
    assert client.post(url, {"form": "consent", "basis": "nope"}).status_code == 400
    assert client.post(url, {"form": "other"}).status_code == 400


def test_a_principal_records_and_closes_a_request(client, world):
    client.force_login(world.user("principal"))
    url = reverse("audit_child_privacy", args=[world.own_child.pk])
    data = {
        "form": "request",
        "kind": "correct",
        "requester_name": "王大山",
        "requester_relation": "父亲",
        "received_on": "2026-03-02",
        "content": "住址有误",
    }
    assert client.post(url, data).status_code == 302
    item = DataRequest.objects.get()
    assert "王大山" in client.get(reverse("audit_requests")).content.decode()
    close = reverse("audit_request_close", args=[item.pk])
    assert client.post(close, {"status": "done", "response": "已更正"}).status_code == 302
    item.refresh_from_db()
    assert (item.status, item.handled_by, item.response) == (
        "done",
        world.user("principal"),
        "已更正",
    )
    assert client.post(close, {"status": "refused", "response": "x"}).status_code == 302
    item.refresh_from_db()
    assert item.status == "done"
    assert AccessLog.objects.filter(action="data_request").count() == 2


def test_requests_are_refused_to_teachers_and_other_schools(client, world):
    client.force_login(world.user("teacher"))
    url = reverse("audit_child_privacy", args=[world.own_child.pk])
    data = {"form": "request", "kind": "delete", "requester_name": "x", "received_on": "2026-03-02"}
    assert client.post(url, data).status_code == 403
    item = DataRequest.objects.create(
        child=world.outsider,
        county_code="340827",
        kind="delete",
        requester_name="x",
        received_on="2026-03-02",
    )
    client.force_login(world.user("principal"))
    close = reverse("audit_request_close", args=[item.pk])
    assert client.post(close, {"status": "done", "response": "r"}).status_code == 404
    assert "赵强" not in client.get(reverse("audit_requests") + "?status=all").content.decode()
