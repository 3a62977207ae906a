"""PDF documents rendered with WeasyPrint from Django templates.

Fonts: Debian's ``fonts-noto-cjk`` (Noto Sans/Serif CJK SC), embedded as subsets through
HarfBuzz (``libharfbuzz-subset0``), so the Chinese text can be selected and extracted.
Templates extend ``reports/print_base.html``; the stylesheet is ``reports/print.css``.
A template adds its own stylesheet with ``{% block styles %}<link rel="stylesheet"
href="{% static '…' %}">{% endblock %}`` (no <style> blocks: tests/test_security_headers.py).
The rendering itself (fonts, no network) is ``carenet.lib.pdf``.
"""

from __future__ import annotations

from typing import Any

from carenet.lib import pdf

STYLESHEET = "reports/print.css"


def render_pdf(template_name: str, context: dict[str, Any]) -> bytes:
    """Render a template to PDF bytes (A4, the print stylesheet, embedded CJK fonts)."""
    return pdf.render_pdf(template_name, context, stylesheets=[STYLESHEET])
