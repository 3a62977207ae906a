"""Web hardening: CSP and security headers on every page, no inline script or style in any
template, and ``carenet manage check --deploy`` clean with production settings."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

import carenet

TEMPLATES = sorted(Path(carenet.__file__).parent.glob("**/templates/**/*.html"))


def _csp(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    directives = (part.strip().split(" ", 1) for part in header.split(";") if part.strip())
    return {name: value for name, value in directives}


@pytest.mark.parametrize("name", ["login", "home", "child_list"])
def test_pages_carry_the_csp_and_security_headers(client, world, name):
    client.force_login(world.user("teacher"))
    response = client.get(reverse(name), follow=True)
    assert response.status_code == 200
    csp = _csp(response)
    assert csp["default-src"] == "'self'"
    assert csp["script-src"] == "'self'"
    assert csp["style-src"] == "'self'"
    assert csp["img-src"] == "'self' data:"
    assert csp["object-src"] == "'none'"
    assert csp["frame-ancestors"] == "'none'"
    assert csp["form-action"] == "'self'"
    assert csp["base-uri"] == "'self'"
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "unsafe-eval" not in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_a_child_file_carries_the_csp(client, world):
    client.force_login(world.user("teacher"))
    response = client.get(reverse("child_detail", args=[world.own_child.pk]))
    assert response.status_code == 200
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_the_session_cookie_is_http_only_and_ends_with_the_browser(client, world):
    from tests.factories import PASSWORD

    response = client.post(reverse("login"), {"username": "teacher", "password": PASSWORD})
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"]
    assert not cookie["max-age"] and not cookie["expires"]  # a browser-session cookie


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p).split("carenet/", 1)[-1])
def test_no_template_has_inline_script_style_or_handlers(path):
    # Template tags are left out: {% include … with style="…" %} is not markup.
    text = re.sub(r"{%.*?%}", "", path.read_text(encoding="utf-8"))
    inline_scripts = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", text)
    assert not inline_scripts, f"inline <script> in {path}"
    assert not re.search(r"<style\b", text), f"<style> block in {path}"
    assert not re.search(r"\sstyle=\"", text), f"style attribute in {path}"
    assert not re.search(r"\son[a-z]+=\"", text), f"event handler attribute in {path}"
    assert "javascript:" not in text, f"javascript: URL in {path}"


def _production_env(tmp_path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CARENET_", "DJANGO_")) and key != "DATABASE_URL"
    }
    env.update(
        CARENET_HOME=str(tmp_path),
        CARENET_HTTPS="1",
        CARENET_DEBUG="0",
        CARENET_SECRET_KEY="k" + "7Hq2-xP9vLmZ3rT8wY1nB6cF4jD0gK5sA" * 2,
        CARENET_ALLOWED_HOSTS="carenet.example.cn",
    )
    return env


def _check_deploy(env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "carenet.cli",
            "manage",
            "check",
            "--deploy",
            "--fail-level",
            "WARNING",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(carenet.__file__).parent.parent,
    )


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = _check_deploy(_production_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout + result.stderr


def test_check_deploy_is_clean_behind_a_proxy_that_redirects(tmp_path):
    env = _production_env(tmp_path)
    env.update(CARENET_BEHIND_PROXY="1", CARENET_SSL_REDIRECT="0")
    result = _check_deploy(env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_warns_without_tls(tmp_path):
    env = _production_env(tmp_path)
    env.pop("CARENET_HTTPS")
    result = _check_deploy(env)
    assert result.returncode != 0
    assert "security.W012" in result.stderr + result.stdout  # SESSION_COOKIE_SECURE
