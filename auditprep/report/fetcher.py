"""The only door weasyprint has to the outside world: files under the templates folder, nothing else.

weasyprint fetches whatever a document names: stylesheets, fonts, images, and (for
``<a rel="attachment">``) any file it then embeds in the PDF. Report text comes from evidence that
other people control (container labels, image names, task definition fields), so a fetcher that
followed ``file:///etc/passwd`` or ``http://`` would turn a label into a leak. This fetcher serves
regular files that resolve inside the templates folder and refuses every other URL, remembering
what it refused so a test (or a curious user) can see it.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from weasyprint.urls import URLFetcher, URLFetcherResponse, URLFetchingError

_TYPES = {
    ".otf": "font/otf",
    ".ttf": "font/ttf",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".css": "text/css",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}


class RefusedURL(URLFetchingError):
    """A URL outside the templates folder; weasyprint skips the resource and renders on."""


class TemplatesOnlyFetcher(URLFetcher):
    """Serve files below ``root`` and refuse everything else (other files, http(s), data:, ftp)."""

    def __init__(self, root: Path):
        super().__init__(allowed_protocols=("file",), allow_redirects=False)
        self.root = Path(root).resolve()
        self.refused: list[str] = []
        self.served: list[str] = []

    def _refuse(self, url: str, why: str) -> RefusedURL:
        self.refused.append(url)
        return RefusedURL(f"refused to fetch {url[:200]}: {why}")

    def resolve(self, url: str) -> Path:
        """The file a URL names, if it is a file under the templates folder; raises otherwise."""
        parts = urlsplit(url)
        if parts.scheme.lower() != "file":
            raise self._refuse(url, "only files of the report templates are used")
        if parts.netloc not in ("", "localhost"):
            raise self._refuse(url, "remote file hosts are not used")
        path = Path(url2pathname(unquote(parts.path)))
        try:
            resolved = path.resolve(strict=True)
        except (OSError, RuntimeError):
            raise self._refuse(url, "no such template file") from None
        if not resolved.is_relative_to(self.root) or not resolved.is_file():
            raise self._refuse(url, "it is outside the report templates")
        return resolved

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:  # noqa: ARG002
        path = self.resolve(url)
        self.served.append(path.relative_to(self.root).as_posix())
        media = _TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": media})

    def open(self, url, data=None, timeout=None):  # type: ignore[override]  # noqa: ARG002
        """urllib-style entry point: route it through the same check (no handler ever runs)."""
        return self.fetch(url if isinstance(url, str) else url.full_url)

    def __call__(self, url: str) -> URLFetcherResponse:
        return self.fetch(url)
