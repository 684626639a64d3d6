"""The PDF's resource fetcher serves the templates folder and refuses everything else.

A local HTTP server stands in for "the network": it counts every request, so a test can show that
nothing was fetched. The last test shows the danger is real: weasyprint's default fetcher embeds a
local file named by ``<a rel="attachment">``, and ours does not.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from pypdf import PdfReader
from weasyprint import HTML

from auditprep.report.fetcher import RefusedURL, TemplatesOnlyFetcher
from auditprep.report.html import templates_root
from auditprep.report.pdf import write_pdf


class _Counting(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802
        type(self).hits.append(self.path)
        body = b"body { color: red }"
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def server() -> Iterator[tuple[str, list[str]]]:
    handler = type("Handler", (_Counting,), {"hits": []})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", handler.hits
    httpd.shutdown()
    httpd.server_close()


def test_serves_only_files_under_the_templates_folder(tmp_path: Path, server) -> None:
    url, hits = server
    root = templates_root()
    fetcher = TemplatesOnlyFetcher(root)
    font = fetcher.fetch((root / "fonts" / "Inter-Regular.otf").as_uri())
    assert font.read() == (root / "fonts" / "Inter-Regular.otf").read_bytes()
    assert font.content_type == "font/otf"

    outside = tmp_path / "outside.txt"
    outside.write_text("not for reports")
    (tmp_path / "fake-root").mkdir()
    (tmp_path / "fake-root" / "link.txt").symlink_to(outside)
    refused = [
        "file:///etc/passwd",
        outside.as_uri(),
        (root / "fonts").as_uri() + "/../../../etc/passwd",
        f"{url}/style.css",
        "https://127.0.0.1:1/x.png",
        "data:text/plain;base64,c2VjcmV0",
        "ftp://127.0.0.1/x",
        "file://remote-host/etc/passwd",
        (root / "fonts").as_uri(),  # a folder, not a file
    ]
    for bad in refused:
        with pytest.raises(RefusedURL):
            fetcher.fetch(bad)
    assert fetcher.refused == refused
    jailed = TemplatesOnlyFetcher(tmp_path / "fake-root")
    with pytest.raises(RefusedURL):
        jailed.fetch((tmp_path / "fake-root" / "link.txt").as_uri())  # a symlink pointing out
    assert hits == []


HOSTILE = """<!DOCTYPE html><html><head><title>t</title>
<link rel="stylesheet" href="{url}/style.css">
<link rel="attachment" href="file:///etc/passwd">
<style>@import url("{url}/import.css"); body {{ background: url("file:///etc/hostname"); }}</style>
</head><body><p>hello</p>
<a rel="attachment" href="file:///etc/passwd">passwd</a>
<a rel="attachment" href="{secret}">secret</a>
<img src="{url}/pixel.png"><img src="file:///etc/hostname">
<img src="data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciLz4=">
<object data="file:///etc/passwd"></object><embed src="{url}/embed">
<svg xmlns="http://www.w3.org/2000/svg"><image href="file:///etc/passwd" width="5" height="5"/></svg>
</body></html>"""


def test_hostile_markup_fetches_and_embeds_nothing(tmp_path: Path, server) -> None:
    """Even markup that reached weasyprint unescaped could not read a file or the network."""
    url, hits = server
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret")
    buf = io.BytesIO()
    result = write_pdf(HOSTILE.format(url=url, secret=secret.as_uri()), buf, identifier="t")
    assert attached_files(buf.getvalue()) == []
    assert b"top secret" not in buf.getvalue() and b"root:x:0:0" not in buf.getvalue()
    assert hits == []
    assert "file:///etc/passwd" in result.refused and f"{url}/style.css" in result.refused
    assert result.served == []


def attached_files(pdf: bytes) -> list[bytes]:
    """The content of every file attached to the PDF, as page annotations or in the name tree."""
    reader = PdfReader(io.BytesIO(pdf))
    found = [data for items in reader.attachments.values() for data in items]
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            obj = annot.get_object()
            if obj.get("/Subtype") == "/FileAttachment":
                found.append(obj["/FS"].get_object()["/EF"]["/F"].get_object().get_data())
    return found


def test_the_default_fetcher_would_have_embedded_the_file(tmp_path: Path) -> None:
    """Why the lock exists: without it, weasyprint attaches whatever file a link names."""
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret")
    html = f'<html><body><a rel="attachment" href="{secret.as_uri()}">x</a></body></html>'
    assert attached_files(HTML(string=html).write_pdf()) == [b"top secret"]

    # the fetcher alone holds: weasyprint asks for the file, the fetcher refuses it
    fetcher = TemplatesOnlyFetcher(templates_root())
    assert attached_files(HTML(string=html, url_fetcher=fetcher).write_pdf()) == []
    assert fetcher.refused == [secret.as_uri()]

    # and the report writer also drops attachment links before anything is fetched
    buf = io.BytesIO()
    result = write_pdf(html, buf, identifier="t")
    assert attached_files(buf.getvalue()) == [] and result.refused == [] and result.served == []
