"""The access log: written on every read of a child file, searchable by principals and the
county within their scope, never editable from the UI; the logged 显示 of contacts."""

import pytest
from django.contrib import admin
from django.urls import reverse

from carenet.accounts.tokens import token_issue
from carenet.audit.models import AccessLog
from carenet.audit.services import audit_log

pytestmark = pytest.mark.django_db


def _open(client, user, name, child):
    client.force_login(user)
    return client.get(reverse(name, args=[child.pk]), HTTP_USER_AGENT="UA/1.0")


@pytest.mark.parametrize(
    ("name", "action"), [("child_detail", "view_file"), ("child_card", "view_card")]
)
def test_every_web_read_of_a_file_is_logged(client, world, name, action):
    assert _open(client, world.user("teacher"), name, world.own_child).status_code == 200
    entry = AccessLog.objects.get()
    assert (entry.user, entry.username, entry.child, entry.child_ref) == (
        world.user("teacher"),
        "teacher",
        world.own_child,
        world.own_child.pk,
    )
    assert (entry.action, entry.county_code, entry.ip, entry.user_agent) == (
        action,
        "340827",
        "127.0.0.1",
        "UA/1.0",
    )


def test_a_refused_read_writes_nothing(client, world):
    assert _open(client, world.user("teacher"), "child_detail", world.outsider).status_code == 404
    assert not AccessLog.objects.exists()


def test_an_api_read_is_logged(client, world):
    _, token = token_issue(user=world.user("teacher"))
    response = client.get(
        f"/api/v1/children/{world.own_child.pk}", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code == 200
    entry = AccessLog.objects.get()
    assert (entry.action, entry.child) == ("api_view", world.own_child)
    assert world.own_child.id_number not in entry.detail


def test_the_service_writes_one_row_in_one_query(world, django_assert_num_queries):
    with django_assert_num_queries(1):
        audit_log(request=None, user=world.user("principal"), action="export", county_code="340827")
    assert AccessLog.objects.get().username == "principal"


def test_a_class_document_logs_each_child_in_one_query(world, django_assert_num_queries):
    from carenet.audit.services import audit_log_children

    children = [world.own_child, world.mentee]
    with django_assert_num_queries(1):
        written = audit_log_children(
            request=None,
            user=world.user("teacher"),
            entries=[("document", child, "谈心记录卡（空白）") for child in children],
        )
    assert written == 2
    rows = AccessLog.objects.order_by("child_ref")
    assert [r.child_ref for r in rows] == sorted(c.pk for c in children)
    assert {(r.username, r.action, r.county_code) for r in rows} == {
        ("teacher", "document", world.own_child.county_code)
    }


class TestReveal:
    def test_contacts_are_masked_until_shown_and_showing_is_logged(self, client, world):
        html = _open(client, world.user("teacher"), "child_detail", world.own_child).content
        assert world.own_child.id_number not in html.decode()
        assert reverse("audit_reveal", args=[world.own_child.pk]) in html.decode()
        url = reverse("child_card", args=[world.own_child.pk])
        response = client.post(reverse("audit_reveal", args=[world.own_child.pk]), {"next": url})
        assert response.status_code == 302 and response["Location"] == url
        assert (
            AccessLog.objects.filter(action="reveal_contacts", child=world.own_child).count() == 1
        )
        html = _open(client, world.user("teacher"), "child_detail", world.own_child).content
        assert world.own_child.id_number in html.decode()
        # Only for that child.
        html = _open(client, world.user("teacher"), "child_detail", world.mentee).content
        assert world.mentee.id_number not in html.decode()

    def test_a_role_without_contacts_cannot_show_them(self, client, world):
        client.force_login(world.user("township_supervisor"))
        html = client.get(reverse("child_detail", args=[world.own_child.pk])).content.decode()
        assert reverse("audit_reveal", args=[world.own_child.pk]) not in html
        response = client.post(reverse("audit_reveal", args=[world.own_child.pk]))
        assert response.status_code == 403
        html = client.get(reverse("child_detail", args=[world.own_child.pk])).content.decode()
        assert world.own_child.id_number not in html
        assert not AccessLog.objects.filter(action="reveal_contacts").exists()

    def test_reveal_is_post_only_and_404_out_of_scope(self, client, world):
        client.force_login(world.user("teacher"))
        assert client.get(reverse("audit_reveal", args=[world.own_child.pk])).status_code == 405
        assert client.post(reverse("audit_reveal", args=[world.outsider.pk])).status_code == 404

    def test_reveal_does_not_redirect_off_site(self, client, world):
        client.force_login(world.user("teacher"))
        url = reverse("audit_reveal", args=[world.own_child.pk])
        response = client.post(url, {"next": "https://evil.example/"})
        assert response["Location"] == reverse("child_detail", args=[world.own_child.pk])


class TestSearch:
    def _entries(self, world):
        for child in (world.own_child, world.school_child, world.outsider):
            audit_log(
                request=None, user=world.user("county_admin"), action="view_file", child=child
            )

    def test_a_teacher_cannot_open_the_log(self, client, world):
        client.force_login(world.user("teacher"))
        assert client.get(reverse("audit_log")).status_code == 403
        assert client.get(reverse("audit_requests")).status_code == 403

    def test_anonymous_users_are_sent_to_log_in(self, client, world):
        response = client.get(reverse("audit_log"))
        assert response.status_code == 302 and "/login/" in response["Location"]

    def test_a_principal_sees_only_entries_about_their_schools_children(self, client, world):
        self._entries(world)
        client.force_login(world.user("principal"))
        html = client.get(reverse("audit_log")).content.decode()
        assert "王子涵" in html and "李明" in html and "赵强" not in html

    def test_the_county_sees_its_county(self, client, world):
        self._entries(world)
        client.force_login(world.user("county_admin"))
        html = client.get(reverse("audit_log")).content.decode()
        assert all(name in html for name in ("王子涵", "李明", "赵强"))

    def test_filters_by_child_user_action_and_dates(self, client, world):
        self._entries(world)
        audit_log(request=None, user=world.user("teacher"), action="view_card", child=world.mentee)
        client.force_login(world.user("county_admin"))
        page = lambda **q: client.get(reverse("audit_log"), q).context["page"]  # noqa: E731
        assert [e.child for e in page(child="李")] == [world.school_child]
        assert [e.child for e in page(user="teach")] == [world.mentee]
        assert [e.child for e in page(action="view_card")] == [world.mentee]
        assert len(page(since="2000-01-01", until="2999-01-01")) == 4
        assert len(page(until="2000-01-01")) == 0
        assert len(page(since="not a date")) == 4

    def test_the_log_is_paginated(self, client, world):
        for _ in range(55):
            audit_log(request=None, user=None, action="view_file", child=world.own_child)
        client.force_login(world.user("principal"))
        assert len(client.get(reverse("audit_log")).context["page"]) == 50
        assert len(client.get(reverse("audit_log"), {"page": 2}).context["page"]) == 5


def test_the_log_cannot_be_changed_from_the_ui(client, world, rf):
    from django.contrib.auth.models import User

    entry = audit_log(request=None, user=None, action="view_file", child=world.own_child)
    superuser = User.objects.create_superuser("root", password="x")
    model_admin = admin.site._registry[AccessLog]
    request = rf.get("/")
    request.user = superuser
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, entry)
    assert not model_admin.has_delete_permission(request, entry)
    client.force_login(superuser)
    assert (
        client.post(f"/admin/audit/accesslog/{entry.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert client.post(reverse("audit_log"), {}).status_code == 405
    assert AccessLog.objects.filter(pk=entry.pk).exists()
    # No route names a change to the log.
    from carenet.audit import urls

    assert {p.name for p in urls.urlpatterns} & {"audit_log_edit", "audit_log_delete"} == set()


def test_change_history_shows_before_and_after_masked_unless_shown(client, world):
    from carenet.children.models import Relation
    from carenet.children.services import child_save, family_member_save

    child = world.own_child
    principal = world.user("principal")
    child_save(actor=principal, child=child, data={"interests": "画画"})
    family_member_save(
        actor=principal, child=child, relation=Relation.FATHER, data={"phone": "13800001111"}
    )
    client.force_login(world.user("county_admin"))
    html = client.get(reverse("audit_child_changes", args=[child.pk])).content.decode()
    assert "兴趣爱好" in html and "画画" in html
    assert "138****1111" in html and "13800001111" not in html and "13812345678" not in html
    assert AccessLog.objects.filter(action="view_history").count() == 1
    client.force_login(world.user("teacher"))
    client.post(reverse("audit_reveal", args=[child.pk]))
    html = client.get(reverse("audit_child_changes", args=[child.pk])).content.decode()
    assert "13800001111" in html and "13812345678" in html
    assert client.get(reverse("audit_child_changes", args=[world.outsider.pk])).status_code == 404
