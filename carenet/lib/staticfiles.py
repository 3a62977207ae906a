"""Static files for slow phones: compressed, and cached forever under hashed names.

``carenet serve`` (and ``carenet demo``) collect the static files into
``CARENET_HOME/static`` before serving (:func:`carenet.server.static_collect`):
every file gets a name with a hash of its content (``app.3f2a1c9b.css``) and
brotli and gzip copies beside it. WhiteNoise serves those names with
``Cache-Control: max-age=31536000, public, immutable`` and the encoding the
browser asks for, so a returning phone fetches only the page's HTML.

Until the files are collected (the tests, ``carenet manage runserver``, a WSGI
server started without ``carenet serve``) — or for a file added after the last
collection — pages name the plain file (``app.css``), which WhiteNoise serves
from the apps' static folders (``WHITENOISE_USE_FINDERS``) with a short cache
life. A missing manifest entry therefore never turns a page into a 500
("Missing staticfiles manifest entry"), as Django's manifest storage would.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from wsgiref.headers import Headers

from whitenoise.compress import Compressor
from whitenoise.storage import CompressedManifestStaticFilesStorage

# One year: what RFC 9111 §5.3 calls "never expires"; the name changes with the content.
FOREVER = 60 * 60 * 24 * 365


class StaticStorage(CompressedManifestStaticFilesStorage):
    """WhiteNoise's compressed manifest storage that falls back to the plain name of a
    file the manifest does not list (nothing collected yet, or a file newer than the
    collection)."""

    manifest_strict = True  # stored_name raises ValueError for a file not in the manifest

    def stored_name(self, name: str) -> str:
        try:
            return super().stored_name(name)
        except ValueError:
            return name

    def create_compressor(self, **kwargs) -> Compressor:
        return _AtomicCompressor(**kwargs)

    def compress_files(self, paths: Iterable[str]) -> Iterator[tuple[str, str]]:
        """Compress the files not compressed at an earlier start. A hashed name stands
        for one content, so its ``.gz`` (written last, whole or not at all) means both
        copies are there: a restart compresses only what changed (~0.3 s, not ~8 s)."""
        fresh = [path for path in paths if not self.exists(f"{path}.gz")]
        yield from super().compress_files(fresh)


class _AtomicCompressor(Compressor):
    """Writes each compressed copy under a temporary name, then renames it: a copy that
    exists is complete, even after a server killed while collecting."""

    def write_data(self, path: str, data: bytes, suffix: str, stat_result: os.stat_result) -> str:
        filename = path + suffix
        partial = f"{filename}.partial"
        with open(partial, "wb") as file:
            file.write(data)
        os.utime(partial, (stat_result.st_atime, stat_result.st_mtime))
        os.replace(partial, filename)
        return filename


def add_static_headers(headers: Headers, path: str, url: str) -> None:
    """WHITENOISE_ADD_HEADERS_FUNCTION: a hashed file (WhiteNoise marks it immutable) is
    cached for a year rather than WhiteNoise's ten."""
    if "immutable" in headers.get("Cache-Control", ""):
        headers["Cache-Control"] = f"max-age={FOREVER}, public, immutable"
