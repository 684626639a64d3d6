"""PDF through weasyprint, with the fetcher locked to the templates folder and nothing attached.

Every PDF is tagged for accessibility (weasyprint's PDF/UA-1 variant: a structure tree, the title
and the document language in the metadata).

Attachments are refused twice: the fetcher will not read a file outside the templates, and the
laid-out document is stripped of any attachment (document-level or link) before it is written,
so even a future template mistake cannot embed a file.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from typing import BinaryIO

from weasyprint import HTML

from auditprep.report.fetcher import TemplatesOnlyFetcher
from auditprep.report.html import templates_root


@dataclass
class PdfResult:
    pages: int
    refused: list[str] = field(default_factory=list)
    served: list[str] = field(default_factory=list)


PDF_VARIANT = "pdf/ua-1"


class _Quiet(logging.Filter):
    """weasyprint warns about every refused URL and unsupported CSS; the caller reports what matters."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.ERROR and "refused to fetch" not in record.getMessage()


def write_pdf(html: str, fh: BinaryIO, *, identifier: str) -> PdfResult:
    root = templates_root()
    fetcher = TemplatesOnlyFetcher(root)
    log = logging.getLogger("weasyprint")
    quiet = _Quiet()
    log.addFilter(quiet)
    try:
        document = HTML(string=html, base_url=root.as_uri() + "/", url_fetcher=fetcher).render()
        document.metadata.attachments = []
        for page in document.pages:
            page.links = [link for link in page.links if link[0] != "attachment"]
        document.write_pdf(
            fh,
            pdf_identifier=hashlib.sha256(identifier.encode()).hexdigest()[:32].encode(),
            attachments=None,
            # tagged, with the document title shown and the language declared (PDF/UA-1): screen readers
            # follow the structure, and Section 508 reviews of federal deliverables expect it
            pdf_variant=PDF_VARIANT,
        )
    finally:
        log.removeFilter(quiet)
    return PdfResult(len(document.pages), list(fetcher.refused), list(fetcher.served))
