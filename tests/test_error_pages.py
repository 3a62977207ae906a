"""A request that fails half-way changes nothing (ATOMIC_REQUESTS), and the user gets a
Chinese error page without any debug information."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

import carenet.care.views
from carenet.care.models import CareRecord
from carenet.children.models import Child


def test_a_request_that_fails_after_writing_leaves_no_partial_change(world, monkeypatch):
    real_record_create = carenet.care.views.record_create

    def record_then_fail(**kwargs):
        real_record_create(**kwargs)
        Child.objects.filter(pk=kwargs["child"].pk).update(notes="half-way")
        raise RuntimeError("boom after the first writes")

    monkeypatch.setattr(carenet.care.views, "record_create", record_then_fail)
    client = Client(raise_request_exception=False)
    client.force_login(world.user("teacher"))
    child = world.own_child
    response = client.post(
        reverse("care_record_new", args=[child.pk]),
        {"kind": "talk", "date": dt.date(2026, 3, 2).isoformat(), "summary": "谈心：学习压力"},
    )

    assert response.status_code == 500
    page = response.content.decode()
    assert "服务器出错了" in page and "没有保存任何改动" in page
    for leak in ("Traceback", "RuntimeError", "boom", "carenet/", "SECRET"):
        assert leak not in page
    assert CareRecord.objects.count() == 0
    child.refresh_from_db()
    assert child.notes != "half-way"


def test_the_500_page_needs_no_database(monkeypatch):
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.views.defaults import server_error

    def no_database(self, *args, **kwargs):
        raise AssertionError("the 500 page touched the database")

    monkeypatch.setattr(BaseDatabaseWrapper, "ensure_connection", no_database)
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert "服务器出错了" in response.content.decode()


def test_404_and_400_pages_are_chinese(world):
    client = Client()
    not_found = client.get("/no-such-page/")
    assert not_found.status_code == 404 and "未找到" in not_found.content.decode()
    bad_host = client.get("/", HTTP_HOST="evil.example")
    assert bad_host.status_code == 400 and "请求有误" in bad_host.content.decode()


def test_a_failed_csrf_check_is_a_chinese_403(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.user("teacher"))
    response = client.post(reverse("care_record_new", args=[world.own_child.pk]), {})
    assert response.status_code == 403
    assert "安全校验失败" in response.content.decode()


@pytest.mark.parametrize("path", ["/", "/login/", "/healthz", "/no-such-page/", "/static/x.css"])
def test_a_host_not_allowed_gets_a_400_naming_carenet_allowed_hosts(world, settings, path):
    """Issue 17: a phone on the LAN opening http://192.168.1.23:8000/ got a bare 400."""
    settings.DEBUG = False
    response = Client().get(path, HTTP_HOST="192.168.1.23:8000")
    assert response.status_code == 400
    body = response.content.decode()
    assert "CARENET_ALLOWED_HOSTS" in body and "192.168.1.23" in body
    assert "CARENET_ALLOWED_HOSTS=127.0.0.1,localhost,192.168.1.23 " in body
    assert "192.168.1.23:8000" not in body  # the setting takes the name without the port
    assert "Traceback" not in body and "DisallowedHost" not in body


def test_the_unknown_host_is_escaped_and_an_invalid_one_not_offered(world, settings):
    settings.DEBUG = False
    invalid = Client().get("/", HTTP_HOST='evil"><script>alert(1)</script>')
    assert invalid.status_code == 400
    body = invalid.content.decode()
    assert "<script>alert" not in body and "CARENET_ALLOWED_HOSTS" in body
    assert "CARENET_ALLOWED_HOSTS=" not in body  # nothing valid to add


def test_an_ordinary_400_keeps_the_plain_page(rf):
    from carenet.web.errors import bad_request

    response = bad_request(rf.get("/"), ValueError("bad"))
    body = response.content.decode()
    assert response.status_code == 400 and "请求有误" in body
    assert "CARENET_ALLOWED_HOSTS" not in body
