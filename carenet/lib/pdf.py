"""PDF documents rendered with WeasyPrint from Django templates (any app's).

Fonts: Debian's ``fonts-noto-cjk`` (Noto Sans/Serif CJK SC), embedded as subsets through
HarfBuzz (``libharfbuzz-subset0``), so the Chinese text can be selected and extracted.
No network access: every URL resolves to the package's static files or is refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import SuspiciousFileOperation
from django.template.loader import render_to_string


def _local_fetcher() -> Any:
    """A WeasyPrint URL fetcher that resolves ``/static/…`` from the package's static files
    and ``data:`` URLs, and refuses everything else (no network, no other local file)."""
    from weasyprint.urls import URLFetcher

    class LocalFetcher(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            if url.startswith("data:"):
                return super().fetch(url, headers)
            if url.startswith(("file:", "/")) and "/static/" in url:
                found = _static_file(url.split("/static/", 1)[1].split("?", 1)[0])
                if found:
                    return super().fetch(Path(found).as_uri(), headers)
            raise ValueError(f"refused to fetch {url!r} while rendering a PDF")

    return LocalFetcher(allowed_protocols={"file", "data"})


def _static_file(name: str) -> str | None:
    """The file behind a static name: in the apps' static folders, or — a hashed name
    (``print.3f2a1c9b.css``) once ``carenet serve`` has collected the files — in STATIC_ROOT."""
    found = finders.find(name)
    if found:
        return str(found)
    try:
        collected = Path(staticfiles_storage.path(name))
    except (SuspiciousFileOperation, NotImplementedError):
        return None
    return str(collected) if collected.is_file() else None


def render_pdf(template_name: str, context: dict[str, Any], *, stylesheets: Iterable[str]) -> bytes:
    """Render a template to PDF bytes with the named static stylesheets (A4, embedded
    CJK fonts)."""
    from weasyprint import CSS, HTML

    html = render_to_string(template_name, context)
    sheets = []
    for name in stylesheets:
        path = finders.find(name)
        if path:
            sheets.append(CSS(filename=str(path)))
    return HTML(string=html, base_url="/", url_fetcher=_local_fetcher()).write_pdf(
        stylesheets=sheets
    )
