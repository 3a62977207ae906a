"""The app installed on a phone (carenet.web.offline): manifest, service worker, outbox
page and the session answer the offline queue reads before it sends."""

import json

import pytest
from django.templatetags.static import static

pytestmark = pytest.mark.django_db


def test_the_manifest_installs_the_app_with_its_icons(client, world):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["name"] == "关爱网" and manifest["display"] == "standalone"
    assert manifest["start_url"] == "/" and manifest["scope"] == "/"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert sizes == {"192x192", "512x512"}
    assert static("carenet/icon-512.png") in {icon["src"] for icon in manifest["icons"]}


def test_the_service_worker_is_served_at_the_root_uncached_with_the_pages_static_urls(
    client, world
):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Cache-Control"] == "no-cache"
    assert response["Service-Worker-Allowed"] == "/"
    script = response.content.decode()
    # The static files by the URLs the pages use (hashed once the storage hashes them).
    for name in ("carenet/offline.js", "carenet/app.css", "vendor/bootstrap/bootstrap.min.css"):
        assert json.dumps(static(name)) in script
    assert '"/offline/"' in script
    assert "{%" not in script and "&quot;" not in script


def test_every_page_links_the_manifest_and_the_offline_script(client, world):
    client.force_login(world.user("teacher"))
    page = client.get("/care/tasks/").content.decode()
    assert 'rel="manifest" href="/manifest.webmanifest"' in page
    assert static("carenet/offline.js") in page
    assert f'data-user="{world.user("teacher").pk}"' in page
    assert 'id="offline-pending-count"' in page


def test_the_outbox_page_opens_without_signing_in_and_holds_nothing_personal(client, world):
    response = client.get("/offline/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "手机上的记录" in page and 'id="outbox-list"' in page
    assert 'data-user=""' in page


def test_the_session_answer_names_the_user_and_a_fresh_csrf_token(client, world):
    assert client.get("/offline/session.json").json() == {"user": None}
    client.force_login(world.user("teacher"))
    response = client.get("/offline/session.json")
    assert response.json()["user"] == world.user("teacher").pk
    assert response.json()["csrf"]
    assert "no-store" in response["Cache-Control"]


def test_the_offline_views_refuse_other_methods(client, world):
    for url in ("/sw.js", "/manifest.webmanifest", "/offline/", "/offline/session.json"):
        assert client.post(url).status_code == 405
