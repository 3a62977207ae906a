"""Signing in and out, the shell of every page, and that every page wants a signed-in user."""

import re

import pytest
from django.urls import reverse

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_login_page_is_in_chinese(client):
    response = client.get(reverse("login"))
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="zh-hans">' in html
    assert "登录" in html and "用户名" in html and "密码" in html


def test_login_with_the_right_password_goes_home(client, world):
    response = client.post(reverse("login"), {"username": "teacher", "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("home")
    assert client.session["_auth_user_id"] == str(world.user("teacher").pk)


def test_login_with_a_wrong_password_is_refused_in_chinese(client, world):
    response = client.post(reverse("login"), {"username": "teacher", "password": "wrong"})
    assert response.status_code == 200
    assert "用户名或密码不正确" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_login_without_a_username_says_which_field_is_missing(client, world):
    response = client.post(reverse("login"), {"username": "", "password": "x"})
    assert response.status_code == 200
    assert response.context["form"].errors["username"] == ["这个字段是必填项。"]


def test_signed_in_user_opening_login_goes_home(client, world):
    client.force_login(world.user("teacher"))
    response = client.get(reverse("login"))
    assert response.status_code == 302
    assert response.url == reverse("home")


@pytest.mark.parametrize("name", ["home", "child_list", "child_create"])
def test_anonymous_visitor_is_sent_to_login(client, world, name):
    url = reverse(name)
    response = client.get(url)
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={url}"


@pytest.mark.parametrize("name", ["child_detail", "child_card", "child_edit"])
def test_anonymous_visitor_is_sent_to_login_from_a_child_file(client, world, name):
    response = client.get(reverse(name, args=[world.own_child.pk]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_logout_is_refused_as_a_get(client, world):
    client.force_login(world.user("teacher"))
    assert client.get(reverse("logout")).status_code == 405
    assert "_auth_user_id" in client.session


def test_logout_by_post_signs_out_and_returns_to_login(client, world):
    client.force_login(world.user("teacher"))
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert response.url == reverse("login")
    assert "_auth_user_id" not in client.session


def test_navbar_names_the_user_and_role_and_posts_logout(client, world):
    client.force_login(world.user("principal"))
    html = client.get(reverse("home")).content.decode()
    assert "principal" in html and "校长 · 华阳小学" in html
    assert re.search(
        r'<form action="/logout/" method="post">\s*<input type="hidden" name="csrf', html
    )


def test_pages_load_their_assets_from_the_server_and_carry_no_inline_script(client, world):
    client.force_login(world.user("teacher"))
    html = client.get(reverse("home")).content.decode()
    assert "/static/vendor/bootstrap/bootstrap.min.css" in html
    assert "/static/vendor/htmx/htmx.min.js" in html
    urls = re.findall(r'(?:src|href)="([^"]*)"', html)
    assert urls and not [url for url in urls if url.startswith(("http:", "https:", "//"))]
    scripts = re.findall(r"<script([^>]*)>", html)
    assert scripts and all('src="/static/' in attrs for attrs in scripts)


def test_language_switch_turns_the_page_to_english(client, world):
    client.force_login(world.user("teacher"))
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert '<html lang="en">' in client.get(reverse("home")).content.decode()


def test_language_switch_is_a_csrf_protected_form_in_the_navbar(client, world):
    client.force_login(world.user("teacher"))
    html = client.get(reverse("home")).content.decode()
    form = re.search(r'<form action="/i18n/setlang/" method="post".*?</form>', html, re.S)
    assert form and "csrfmiddlewaretoken" in form.group(0)
    assert 'value="en"' in form.group(0) and 'value="zh-hans"' in form.group(0)


def test_login_page_offers_the_language_switch(client):
    html = client.get(reverse("login")).content.decode()
    assert '<form action="/i18n/setlang/" method="post"' in html and 'value="en"' in html
