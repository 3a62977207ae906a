"""Every role against children inside and outside its scope, on every route.

The route lists below must name every URL the project has: a new page or API path that is
not classified here fails ``test_every_route_is_classified`` until it is added to the matrix.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from carenet.api.services import token_issue
from carenet.children.models import Pairing
from carenet.children.selectors import Action, visible_children
from carenet.orgs.models import OrgKind
from carenet.orgs.selectors import visible_orgs
from carenet.pairing.selectors import pairing_schools

pytestmark = pytest.mark.django_db

ROLES = [
    "county_admin",
    "township_supervisor",
    "village_director",
    "principal",
    "teacher",
    "stranger_teacher",
    "nobody",
]
CHILDREN = ["own_child", "mentee", "school_child", "villager_elsewhere", "outsider"]

# Pages about one child: name → the action that decides access.
CHILD_PAGES = {
    "child_detail": Action.VIEW,
    "child_card": Action.VIEW,
    "child_edit": Action.EDIT,
    "care_record_new": Action.VIEW,
}
CHILD_URLS = {
    "child_detail": "/children/{}/",
    "child_card": "/children/{}/card/",
    "child_edit": "/children/{}/edit/",
    "care_record_new": "/care/children/{}/records/new/",
}
# Pages without a child: every signed-in user gets an answer (their own scope), never a 500.
SCOPED_PAGES = {"home", "child_list", "child_create", "care_tasks"}
# Pages about one school's pairing (结对帮扶): name → (method, path under /pairing/{id}/).
SCHOOL_PAGES = {
    "pairing_school": ("get", ""),
    "pairing_assign": ("post", "assign/"),
    "pairing_auto": ("post", "auto/"),
    "pairing_handover": ("post", "handover/"),
}
# Pages without a school that only school managers may open (others get 403).
MANAGER_PAGES = {"pairing_home"}
PUBLIC = {"login", "logout", "healthz", "set_language"}
API_CHILD_PATHS = {"/api/v1/children/{id}"}
API_SCOPED_PATHS = {"/api/v1/orgs", "/api/v1/children", "/api/v1/tasks/due"}
# Child-scoped paths that only take POST: 404 outside scope, never a record written there.
API_CHILD_POST_PATHS = {"/api/v1/children/{id}/records"}
API_PUBLIC_PATHS = {"/api/v1/auth/token"}


def _named_patterns(resolver: URLResolver, prefix: str = "") -> set[str]:
    names: set[str] = set()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            namespace = pattern.namespace or ""
            if namespace in ("admin", "api"):
                continue
            names |= _named_patterns(pattern, prefix)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(pattern.name)
    return names


def test_every_route_is_classified(client):
    assert (
        _named_patterns(get_resolver())
        == set(CHILD_PAGES) | SCOPED_PAGES | PUBLIC | set(SCHOOL_PAGES) | MANAGER_PAGES
    )
    paths = set(client.get("/api/v1/openapi.json").json()["paths"])
    assert paths == API_CHILD_PATHS | API_CHILD_POST_PATHS | API_SCOPED_PATHS | API_PUBLIC_PATHS


@pytest.mark.parametrize("role", ROLES)
def test_child_pages_answer_only_within_scope(world, client, role):
    user = world.user(role)
    client.force_login(user)
    visible = set(visible_children(user).values_list("pk", flat=True))
    for name, action in CHILD_PAGES.items():
        allowed = set(visible_children(user, action).values_list("pk", flat=True))
        for attr in CHILDREN:
            child = getattr(world, attr)
            url = CHILD_URLS[name].format(child.pk)
            status = client.get(url).status_code
            expected = 200 if child.pk in allowed else 403 if child.pk in visible else 404
            assert status == expected, f"{role} {name} {attr}: {status} != {expected}"
            if child.pk not in visible:
                post = client.post(url, {"name": "改名"}).status_code
                assert post in (404, 405), f"{role} POST {name} {attr}: {post}"


@pytest.mark.parametrize("role", ROLES)
def test_scoped_pages_never_show_a_child_outside_scope(world, client, role):
    user = world.user(role)
    client.force_login(user)
    visible = set(visible_children(user).values_list("name", flat=True))
    for path in ("/", "/children/", "/children/?status=all", "/care/tasks/"):
        body = client.get(path).content.decode()
        for attr in CHILDREN:
            name = getattr(world, attr).name
            if name not in visible:
                assert name not in body, f"{role} sees {name} on {path}"
    assert client.get("/children/new/").status_code in (200, 403)


def test_anonymous_users_are_sent_to_log_in(world, client):
    for path in (
        "/",
        "/children/",
        "/children/new/",
        f"/children/{world.own_child.pk}/",
        f"/children/{world.own_child.pk}/card/",
        f"/children/{world.own_child.pk}/edit/",
        "/care/tasks/",
        f"/care/children/{world.own_child.pk}/records/new/",
    ):
        response = client.get(path)
        assert response.status_code == 302 and "/login/" in response["Location"], path


@pytest.mark.parametrize("role", ROLES)
def test_the_api_answers_only_within_scope(world, client, role):
    user = world.user(role)
    _, token = token_issue(user=user)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    visible = set(visible_children(user).values_list("pk", flat=True))
    for attr in CHILDREN:
        child = getattr(world, attr)
        status = client.get(f"/api/v1/children/{child.pk}", **auth).status_code
        assert status == (200 if child.pk in visible else 404), f"{role} {attr}: {status}"
    listed = {item["id"] for item in client.get("/api/v1/children", **auth).json()["items"]}
    assert listed == visible
    due = client.get("/api/v1/tasks/due?scope=org", **auth).json()["items"]
    assert {item["child"] for item in due} <= visible
    record = {"kind": "talk", "date": "2026-01-05", "summary": "谈心"}
    for attr in CHILDREN:
        child = getattr(world, attr)
        for path in API_CHILD_POST_PATHS:
            url = path.replace("{id}", str(child.pk))
            status = client.post(url, record, content_type="application/json", **auth).status_code
            assert status == (201 if child.pk in visible else 404), f"{role} POST {path} {attr}"
            assert client.post(url, record, content_type="application/json").status_code == 401
    for path in API_SCOPED_PATHS | API_CHILD_PATHS:
        anonymous = client.get(path.replace("{id}", str(world.own_child.pk)))
        assert anonymous.status_code == 401


@pytest.mark.parametrize("role", ROLES)
def test_school_pages_answer_only_to_school_managers(world, client, role):
    """Pairing pages: 200 for a manager of the school, 403 for a school the user can see
    without the right role, 404 for a school out of sight. Refused POSTs change nothing."""
    user = world.user(role)
    client.force_login(user)
    managed = set(pairing_schools(user).values_list("pk", flat=True))
    seen = set(visible_orgs(user, kind=OrgKind.SCHOOL).values_list("pk", flat=True))
    pairings = Pairing.objects.count()
    for school in (world.school, world.other_school):
        for name, (method, tail) in SCHOOL_PAGES.items():
            status = getattr(client, method)(f"/pairing/{school.pk}/{tail}").status_code
            if school.pk in managed:
                assert status in (200, 302, 400), f"{role} {name} {school}: {status}"
            else:
                expected = 403 if school.pk in seen else 404
                assert status == expected, f"{role} {name} {school}: {status} != {expected}"
    if not managed:
        assert Pairing.objects.count() == pairings
    assert client.get("/pairing/").status_code in ((302, 200) if managed else (403,))
