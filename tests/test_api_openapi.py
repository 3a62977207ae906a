"""The API's own surface: the OpenAPI document, and JSON answers for every failure."""

import pytest

from carenet.accounts.tokens import token_issue

pytestmark = pytest.mark.django_db


def test_the_openapi_document_lists_the_paths(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {
        "/api/v1/auth/token",
        "/api/v1/orgs",
        "/api/v1/children",
        "/api/v1/children/{id}",
    } <= set(paths)
    assert {"get", "post"} <= set(paths["/api/v1/children"])


def test_the_openapi_document_declares_bearer_auth(client):
    schemes = client.get("/api/v1/openapi.json").json()["components"]["securitySchemes"]
    assert {"type": "http", "scheme": "bearer"}.items() <= next(iter(schemes.values())).items()


def test_no_docs_page_loads_assets_from_a_cdn(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 404
    assert b"cdn" not in response.content.lower()


def test_the_api_root_points_to_the_openapi_document(client):
    assert client.get("/api/v1/").json()["openapi"] == "/api/v1/openapi.json"


def test_an_unknown_path_is_a_json_404(client):
    response = client.get("/api/v1/no/such/thing")
    assert response.status_code == 404
    assert response.json() == {"detail": "未找到"}


def test_an_unsupported_method_is_a_json_405(client, world):
    _, key = token_issue(user=world.user("teacher"))
    response = client.delete("/api/v1/children", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 405
    assert set(response.json()) == {"detail"}
    assert "GET" in response["Allow"]


def test_an_unexpected_failure_is_a_json_500_without_a_traceback(client, world, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr("carenet.api.views.orgs.orgs_with_parents", broken)
    _, key = token_issue(user=world.user("teacher"))
    response = client.get("/api/v1/orgs", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 500
    assert set(response.json()) == {"detail"}
    assert b"secret internals" not in response.content


def test_a_401_tells_the_client_to_use_a_bearer_token(client):
    response = client.get("/api/v1/orgs")
    assert response["WWW-Authenticate"] == "Bearer"
    assert response.json() == {"detail": "未登录或访问令牌无效、已过期"}
