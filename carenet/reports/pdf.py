"""PDF documents rendered with WeasyPrint from Django templates.

Fonts: Debian's ``fonts-noto-cjk`` (Noto Sans/Serif CJK SC), embedded as subsets through
HarfBuzz (``libharfbuzz-subset0``), so the Chinese text can be selected and extracted.
Templates extend ``reports/print_base.html``; the stylesheet is ``reports/print.css``.
No network access: every URL resolves to the package's static files or is refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

STYLESHEET = "reports/print.css"


def _local_fetcher(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """Resolve ``/static/…`` URLs from the package; refuse everything else (no network)."""
    from weasyprint.urls import default_url_fetcher

    if url.startswith("/static/") or "/static/" in url and url.startswith("file:"):
        name = url.split("/static/", 1)[1]
        found = finders.find(name)
        if found:
            return default_url_fetcher(Path(found).as_uri())
    if url.startswith("data:"):
        return default_url_fetcher(url)
    raise ValueError(f"refused to fetch {url!r} while rendering a PDF")


def render_pdf(template_name: str, context: dict[str, Any]) -> bytes:
    """Render a template to PDF bytes (A4, the print stylesheet, embedded CJK fonts)."""
    from weasyprint import CSS, HTML

    html = render_to_string(template_name, context)
    css_path = finders.find(STYLESHEET)
    stylesheets = [CSS(filename=css_path)] if css_path else []
    return HTML(string=html, base_url="/", url_fetcher=_local_fetcher).write_pdf(
        stylesheets=stylesheets
    )
