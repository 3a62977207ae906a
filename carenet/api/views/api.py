"""The JSON API ``/api/v1/`` (CONTRACT.md): one NinjaAPI, a router per resource.

No docs page: ninja's would load Swagger UI from a CDN, which many schools' networks
cannot reach. The OpenAPI document is at ``/api/v1/openapi.json``.
"""

from __future__ import annotations

from ninja import NinjaAPI

from carenet.api.auth import BearerAuth
from carenet.api.errors import install_error_handlers
from carenet.api.views import auth, care, children, kpis, orgs

api = NinjaAPI(
    title="CareNet API",
    version="1",
    description='关爱网数据接口：令牌认证（Authorization: Bearer <token>），错误为 {"detail": …}。',
    urls_namespace="api",
    docs_url=None,
    auth=BearerAuth(),
)
install_error_handlers(api)
api.add_router("/auth", auth.router, tags=["auth"])
api.add_router("/orgs", orgs.router, tags=["orgs"])
api.add_router("/children", children.router, tags=["children"])
api.add_router("", care.router)
api.add_router("", kpis.router)
