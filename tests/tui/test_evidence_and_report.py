"""The evidence browser (filters, raw evidence, manual evidence) and rendering reports."""

from __future__ import annotations

import json
from pathlib import Path

from textual.widgets import DataTable, Input, Select, TextArea

from auditprep.errors import AuditprepError
from auditprep.store import Engagement
from auditprep.tui.dialogs.error import ErrorDialog
from auditprep.tui.dialogs.forms import AttachDialog
from auditprep.tui.dialogs.viewers import EvidenceDialog, TextDialog
from auditprep.tui.screens.concepts import ConceptsScreen
from auditprep.tui.screens.report import ReportScreen

from .helpers import ready, settle, type_text


def rows(table: DataTable) -> list[str]:
    return [str(table.get_row_at(i)[0]) for i in range(table.row_count)]


async def test_evidence_filters_and_the_raw_json(app_factory, engagement: Path) -> None:
    app = app_factory(engagement)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("3")
        await settle(pilot, app)
        screen = app.screen
        table = screen.query_one("#evidence-table", DataTable)
        assert rows(table) == ["E1-00001", "E1-00002", "E1-00003", "E1-00004", "E2-00001", "E2-00002"]
        screen.query_one("#ev-status", Select).value = "gaps"
        await settle(pilot, app)
        assert rows(table) == ["E2-00002"]
        assert "AccessDenied: the role lacks ecs:ListClusters" in [str(c) for c in table.get_row_at(0)]
        screen.query_one("#ev-status", Select).value = ""
        screen.query_one("#ev-source", Select).value = "docker"
        await pilot.press("slash")
        await type_text(pilot, "container")
        screen.query_one("#ev-resource", Input).value = "ledger"
        await settle(pilot, app)
        assert rows(table) == ["E1-00003"]
        assert str(screen.query_one("#evidence-count").render()).startswith("1 of 6 item(s) match.")
        table.focus()
        await pilot.press("enter")
        await settle(pilot, app)
        dialog = app.screen
        assert isinstance(dialog, EvidenceDialog)
        doc = json.loads(dialog.query_one("#evidence-json", TextArea).text)
        assert doc["data"]["Config"] == {"User": "1000"}
        assert doc["content_hash"] and doc["collected_at"] == "2026-11-02T09:00:00Z"


async def test_attach_manual_evidence_with_its_provenance(app_factory, engagement: Path, tmp_path: Path) -> None:
    runbook = tmp_path / "ir-runbook.pdf"
    runbook.write_bytes(b"%PDF-1.4 incident response runbook")
    app = app_factory(engagement)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("3")
        await settle(pilot, app)
        await pilot.press("a")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, AttachDialog)
        dialog.query_one("#path", Input).value = str(tmp_path / "missing.pdf")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "is not a file" in str(dialog.query_one(".problem").render())
        dialog.query_one("#path", Input).value = str(runbook)
        dialog.query_one("#control", Input).value = "sec-02"
        dialog.query_one("#description", Input).value = "Rotation runbook, signed by the CISO"
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        table = app.screen.query_one("#evidence-table", DataTable)
        assert rows(table)[-1] == "A1"
        table.move_cursor(row=table.row_count - 1)
        await pilot.press("enter")
        await settle(pilot, app)
        assert isinstance(app.screen, TextDialog)
        shown = json.loads(app.screen.query_one("#text-view", TextArea).text)
        assert (shown["filename"], shown["control_id"], shown["added_by"]) == (
            "ir-runbook.pdf",
            "SEC-02",
            "tester@larkspur",
        )
    with Engagement.open(engagement, readonly=True) as eng:
        (att,) = eng.attachments()
        assert (att.filename, att.media_type, att.control_id, att.description) == (
            "ir-runbook.pdf",
            "application/pdf",
            "SEC-02",
            "Rotation runbook, signed by the CISO",
        )
        assert eng.blob(att.sha256) == runbook.read_bytes()


async def test_render_a_report_in_a_worker_and_say_where_it_went(app_factory, engagement: Path, tmp_path: Path) -> None:
    app = app_factory(engagement)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("5")
        await settle(pilot, app)
        screen = app.screen
        assert isinstance(screen, ReportScreen)
        path = screen.query_one("#report-path", Input)
        assert path.value == str(tmp_path / "payments-pci-dss.pdf")
        screen.query_one("#report-format", Select).value = "json"
        screen.query_one("#report-framework", Select).value = "hipaa"
        await settle(pilot, app)
        assert path.value == str(tmp_path / "payments-hipaa.json")
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        status = str(screen.query_one("#report-status").render())
        assert status.startswith(f"Written to {tmp_path / 'payments-hipaa.json'} (")
    report = json.loads((tmp_path / "payments-hipaa.json").read_text())
    assert "HRD-01" in json.dumps(report)


async def test_the_palette_renders_to_its_own_path_and_a_wrong_extension_is_refused(
    app_factory, engagement: Path, tmp_path: Path
) -> None:
    """A typed PDF path is never overwritten by HTML: the palette writes beside the engagement, as it says."""
    mine = tmp_path / "mine.pdf"
    mine.write_bytes(b"%PDF-1.7 the user's PDF")
    app = app_factory(engagement)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("5")
        await settle(pilot, app)
        screen = app.screen
        path = screen.query_one("#report-path", Input)
        path.value = str(mine)
        await settle(pilot, app)
        screen.query_one("#report-format", Select).value = "html"  # the typed path still ends .pdf
        await settle(pilot, app)
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert mine.read_bytes() == b"%PDF-1.7 the user's PDF"
        app.render_from_palette("pci-dss", "html")
        for _ in range(40):
            await settle(pilot, app)
            if (tmp_path / "payments-pci-dss.html").exists() and "Written to" in str(
                screen.query_one("#report-status").render()
            ):
                break
        assert (tmp_path / "payments-pci-dss.html").read_text().lstrip().lower().startswith("<!doctype html")
    assert mine.read_bytes() == b"%PDF-1.7 the user's PDF"


async def test_a_failing_worker_becomes_one_error_dialog(app_factory, engagement: Path) -> None:
    def broken_renderer(*args, **kwargs):
        raise AuditprepError("the templates folder is missing; reinstall auditprep.", title="Report failed")

    app = app_factory(engagement, render_report=broken_renderer)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("5")
        await settle(pilot, app)
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        dialog = app.screen
        assert isinstance(dialog, ErrorDialog)
        assert (dialog.title_text, dialog.message) == (
            "Report failed",
            "the templates folder is missing; reinstall auditprep.",
        )
        await pilot.press("enter")
        await settle(pilot, app)
        assert str(app.screen.query_one("#report-status").render()) == "The report was not written."


async def test_the_glossary_is_searchable(app_factory, engagement: Path) -> None:
    app = app_factory(engagement)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, app)
        await pilot.press("6")
        await settle(pilot, app)
        screen = app.screen
        assert isinstance(screen, ConceptsScreen)
        await pilot.press("slash")
        await type_text(pilot, "cap_add")
        await settle(pilot, app)
        options = screen.query_one("#concept-list")
        assert [o.id for o in options.options] == ["capabilities"]
        assert "Linux capabilities (capabilities)" in str(screen.query_one("#concept-view Static").render())
        screen.query_one("#concept-search", Input).value = "privilegd"
        await settle(pilot, app)
        assert str(screen.query_one("#concept-hint").render()) == "Nothing matches; did you mean privileged-container?"
