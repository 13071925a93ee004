"""The only URL fetcher WeasyPrint gets: it serves the package's own static files, nothing else.

A report's text comes from submissions, which are hostile input. Jinja2 escapes it, so it can
never become markup; this fetcher is the second wall. Whatever the HTML asks for, WeasyPrint
can read only regular files inside ``designation/report/static`` (the stylesheet and the
fonts): no ``http:``, no ``data:``, no ``file:///etc/passwd``, no symlink or ``..`` out of the
folder. A refused URL stops the rendering (fail closed); every request is recorded in
``requested`` so tests can check what was asked for.

Importing this module imports WeasyPrint, so only :mod:`designation.report.pdf` imports it,
inside the functions that render.
"""
from __future__ import annotations

import mimetypes
from importlib import resources
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

STATIC_DIR = Path(str(resources.files(__package__) / "static")).resolve()
BASE_URL = STATIC_DIR.as_uri() + "/"
TYPES = {".css": "text/css", ".ttf": "font/ttf", ".otf": "font/otf", ".woff": "font/woff",
         ".woff2": "font/woff2", ".svg": "image/svg+xml", ".png": "image/png"}


class RefusedURL(FatalURLFetchingError):
    """A report asked for something other than one of the package's own assets."""


class StaticFetcher(URLFetcher):
    """Serve ``file:`` URLs inside :data:`STATIC_DIR`; refuse everything else."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols=("file",), allow_redirects=False, fail_on_errors=True)
        self.requested: list[str] = []
        self.refused: list[str] = []

    def path_for(self, url: str) -> Path | None:
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost") or parts.query:
            return None
        try:
            path = Path(url2pathname(unquote(parts.path))).resolve(strict=True)
        except (OSError, RuntimeError, ValueError):
            return None
        if not path.is_relative_to(STATIC_DIR) or not path.is_file():
            return None
        if path.suffix.lower() not in TYPES:
            return None
        return path

    @staticmethod
    def _missing_asset(url: str) -> str | None:
        """The name of one of our own assets that should exist but does not (a broken install)."""
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.query:
            return None
        path = Path(url2pathname(unquote(parts.path)))
        try:
            inside = path.parent.resolve().is_relative_to(STATIC_DIR)
        except (OSError, RuntimeError, ValueError):
            return None
        return str(path.relative_to(STATIC_DIR)) if inside and not path.exists() else None

    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        self.requested.append(url)
        path = self.path_for(url)
        if path is None:
            self.refused.append(url)
            missing = self._missing_asset(url)
            if missing:
                raise RefusedURL(f"the report asset {missing} is missing from this installation; "
                                 "reinstall designation")
            raise RefusedURL(f"refused to fetch {url[:200]!r}: a report may only use its own assets")
        content_type = TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0]
        return URLFetcherResponse(path.as_uri(), body=path.read_bytes(),
                                  headers={"Content-Type": content_type or "application/octet-stream"})
