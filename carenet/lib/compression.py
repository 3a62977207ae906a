"""Pages compressed on their way to a slow phone.

The county dashboard's HTML is ~140 KB (its tables and the charts' data): 2.8 s at Slow 3G's
50 KB/s before a chart can be drawn; gzipped, ~15 KB. Static files are compressed once at
collection (carenet.lib.staticfiles); this compresses the responses of views.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseBase
from django.middleware.gzip import GZipMiddleware

# Text compresses ~5–10×; spreadsheets, documents, PDFs and photos are compressed already.
COMPRESSIBLE = ("text/", "application/json", "application/javascript", "image/svg+xml")


class TextGZipMiddleware(GZipMiddleware):
    """Django's GZipMiddleware — with its BREACH mitigation (random bytes in the gzip
    header, Django ≥ 4.2) — for whole text responses only: a streamed one (an event
    stream must not wait in a compressor's buffer) passes untouched."""

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if response.streaming or not response.get("Content-Type", "").startswith(COMPRESSIBLE):
            return response
        return super().process_response(request, response)
