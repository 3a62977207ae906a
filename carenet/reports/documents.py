"""The documents as files: a layout rendered to .docx or PDF, with a file name."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from carenet.reports.docx import render_docx
from carenet.reports.layout import Document
from carenet.reports.pdf import render_pdf

DOCUMENT_TEMPLATE = "reports/document_pdf.html"


class Format(StrEnum):
    DOCX = "docx"
    PDF = "pdf"


CONTENT_TYPES = {
    Format.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    Format.PDF: "application/pdf",
}


@dataclass(frozen=True)
class File:
    content: bytes
    filename: str
    content_type: str


def document_file(layout: Document, fmt: Format, *, stem: str) -> File:
    """``layout`` as a file of format ``fmt`` named ``stem.docx`` or ``stem.pdf``."""
    fmt = Format(fmt)
    if fmt == Format.DOCX:
        content = render_docx(layout)
    else:
        content = render_pdf(DOCUMENT_TEMPLATE, {"document": layout})
    return File(content=content, filename=f"{stem}.{fmt}", content_type=CONTENT_TYPES[fmt])
