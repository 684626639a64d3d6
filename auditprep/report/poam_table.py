"""The POA&M as a spreadsheet: CSV and XLSX in the column order of FedRAMP's POA&M template.

The columns follow the template's "open items" sheet, left to right, so rows can be pasted into
it; a CVE column follows at the end. The XLSX is written directly (a handful of XML parts in a
zip, strings inline, fixed timestamps), so the same engagement always gives the same bytes and no
spreadsheet library is needed. Every cell goes through the same guard as the report's CSV, so
text from evidence never becomes a formula.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable
from typing import Any
from xml.sax.saxutils import escape

from auditprep.report.tabular import _cell

Row = dict[str, Any]


def _milestones(item: Row) -> str:
    return "\n".join(f"({n}) {m['due']}: {m['description']}" for n, m in enumerate(item["milestones"], 1))


def _comments(item: Row, as_of: str) -> str:
    parts = []
    if item["status"] == "overdue":
        parts.append(f"Past its scheduled completion date by {item['days_over']} day(s) on {as_of}.")
    parts.append(f"Likelihood {item['likelihood']}: {item['likelihood_basis']} Impact {item['impact']}.")
    if item["deviation"]:
        parts.append(
            f"Exception recorded by {item['deviation_owner']}, expires {item['deviation_expires']}; "
            "deviation request pending the authorising official."
        )
    parts.extend(item["comments"])
    return " ".join(parts)


def _yes(flag: bool) -> str:
    return "Yes" if flag else "No"


COLUMNS: tuple[tuple[str, Callable[[Row, str], Any]], ...] = (
    ("POAM ID", lambda i, _: i["id"]),
    ("Controls", lambda i, _: ", ".join(i["controls"])),
    ("Weakness Name", lambda i, _: i["weakness"]),
    ("Weakness Description", lambda i, _: i["description"]),
    ("Weakness Detector Source", lambda i, _: i["detector"]),
    ("Weakness Source Identifier", lambda i, _: i["source_id"]),
    ("Asset Identifier", lambda i, _: i["asset"]),
    ("Point of Contact", lambda i, _: i["point_of_contact"]),
    ("Resources Required", lambda i, _: ""),
    ("Overall Remediation Plan", lambda i, _: i["remediation"]),
    ("Original Detection Date", lambda i, _: i["detected"]),
    ("Scheduled Completion Date", lambda i, _: i["due"]),
    ("Planned Milestones", lambda i, _: _milestones(i)),
    ("Milestone Changes", lambda i, _: ""),
    ("Status Date", lambda i, as_of: as_of),
    ("Vendor Dependency", lambda i, _: _yes(i["vendor_dependency"])),
    ("Last Vendor Check-in Date", lambda i, _: ""),
    ("Vendor Dependent Product Name", lambda i, _: i["vendor_product"]),
    ("Original Risk Rating", lambda i, _: i["risk"]),
    ("Adjusted Risk Rating", lambda i, _: ""),
    ("Risk Adjustment", lambda i, _: "No"),
    ("False Positive", lambda i, _: "No"),
    ("Operational Requirement", lambda i, _: "Pending" if i["deviation"] else "No"),
    ("Deviation Rationale", lambda i, _: i["deviation"]),
    ("Supporting Documents", lambda i, _: ", ".join(f"evidence {e}" for e in i["evidence"])),
    ("Comments", lambda i, as_of: _comments(i, as_of)),
    ("Auto-Approve", lambda i, _: "No"),
    ("CVE", lambda i, _: i["cve"]),
)
HEADERS = tuple(name for name, _ in COLUMNS)


def rows(ctx: dict[str, Any]) -> list[list[str]]:
    poam = ctx["poam"]
    return [[_cell(get(item, poam["as_of"])) for _, get in COLUMNS] for item in poam["items"]]


def to_poam_csv(ctx: dict[str, Any]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(HEADERS)
    writer.writerows(rows(ctx))
    return buf.getvalue().encode("utf-8")


# --- XLSX ------------------------------------------------------------------------------------

_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_STAMP = (2000, 1, 1, 0, 0, 0)  # zip entries get a fixed time: the bytes depend on the engagement only


def _col(n: int) -> str:
    name = ""
    while n:
        n, rem = divmod(n - 1, 26)
        name = chr(65 + rem) + name
    return name


def _sheet(table: list[list[str]]) -> str:
    out = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>',
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">',
        '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" state="frozen"/></sheetView>'
        "</sheetViews><sheetData>",
    ]
    for r, values in enumerate(table, 1):
        cells = []
        for c, value in enumerate(values, 1):
            text = escape(_XML_BAD.sub("", value))
            style = ' s="1"' if r == 1 else ""
            cells.append(f'<c r="{_col(c)}{r}" t="inlineStr"{style}><is><t xml:space="preserve">{text}</t></is></c>')
        out.append(f'<row r="{r}">{"".join(cells)}</row>')
    out.append("</sheetData></worksheet>")
    return "".join(out)


_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="Open POA&amp;M Items" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
        'Target="worksheets/sheet1.xml"/>'
        '<Relationship Id="rId2" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
        'Target="styles.xml"/></Relationships>'
    ),
    "xl/styles.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
        '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        "</styleSheet>"
    ),
}


def to_poam_xlsx(ctx: dict[str, Any]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        parts = dict(_PARTS)
        parts["xl/worksheets/sheet1.xml"] = _sheet([list(HEADERS), *rows(ctx)])
        for name in (
            "[Content_Types].xml",
            "_rels/.rels",
            "xl/workbook.xml",
            "xl/_rels/workbook.xml.rels",
            "xl/styles.xml",
            "xl/worksheets/sheet1.xml",
        ):
            info = zipfile.ZipInfo(name, date_time=_STAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, parts[name].encode("utf-8"))
    return buf.getvalue()
