"""Create an engagement, or open an engagement file or an evidence package."""

from __future__ import annotations

import re
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DirectoryTree, Input, Label, SelectionList

from auditprep.application.engagements import SUFFIX
from auditprep.concepts import FRAMEWORK_LABELS
from auditprep.errors import InvalidInput
from auditprep.tui.dialogs.forms import FormDialog, buttons
from auditprep.tui.widgets.form import row


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "engagement"


def split_list(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"[,\s]+", text) if p.strip()]


class CreateEngagementDialog(FormDialog):
    """Name, organisation, frameworks and scope of a new engagement, and where its file goes."""

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder = folder
        self._auto_path = str(folder / f"engagement{SUFFIX}")
        self._auto_paths = {self._auto_path}  # every value we put there ourselves
        self._path_edited = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box form-box"):
            yield Label("New engagement", classes="dialog-title")
            with Vertical(classes="form-rows"):
                yield row(Label("Name"), Input(id="name", placeholder="e.g. Payments platform PCI 2026", compact=True))
                yield row(Label("Organisation"), Input(id="organisation", placeholder="who is assessed", compact=True))
                yield row(Label("File"), Input(self._auto_path, id="path", compact=True))
                yield row(
                    Label("Frameworks"),
                    SelectionList[str](
                        *((FRAMEWORK_LABELS.get(f, f), f, False) for f in FRAMEWORK_LABELS),
                        id="frameworks",
                        compact=True,
                    ),
                )
                yield row(
                    Label("AWS accounts"), Input(id="accounts", placeholder="optional: 111122223333, …", compact=True)
                )
                yield row(
                    Label("AWS regions"),
                    Input(id="regions", placeholder="optional: eu-west-1, us-east-1", compact=True),
                )
                yield row(
                    Label("Docker hosts"),
                    Input(id="hosts", placeholder="optional: ssh://build-01, unix:///…", compact=True),
                )
            yield Label("", classes="problem")
            yield buttons("Create")

    def on_mount(self) -> None:
        self.query_one("#name", Input).focus()

    @on(Input.Changed, "#name")
    def _name_changed(self, event: Input.Changed) -> None:
        if not self._path_edited:
            self._auto_path = str(self.folder / f"{slug(event.value)}{SUFFIX}")
            self._auto_paths.add(self._auto_path)
            self.query_one("#path", Input).value = self._auto_path

    @on(Input.Changed, "#path")
    def _path_changed(self, event: Input.Changed) -> None:
        if event.value not in self._auto_paths:
            self._path_edited = True

    def input_submitted(self, field: Input) -> None:
        self.focus_next()

    def submit(self) -> dict:
        name = self.query_one("#name", Input).value.strip()
        if not name:
            raise InvalidInput("Give the engagement a name.")
        raw_path = self.query_one("#path", Input).value.strip()
        if not raw_path:
            raise InvalidInput("Say where to create the engagement file.")
        path = Path(raw_path).expanduser()
        if path.exists():
            raise InvalidInput(f"{path} already exists; choose another file name (nothing is ever overwritten).")
        if not path.parent.is_dir():
            raise InvalidInput(f"The folder {path.parent} does not exist.")
        frameworks = list(self.query_one("#frameworks", SelectionList).selected)
        if not frameworks:
            raise InvalidInput("Choose at least one framework.")
        scope: list[tuple[str, str]] = []
        for field, kind in (("accounts", "aws_account"), ("regions", "aws_region"), ("hosts", "docker_host")):
            for value in split_list(self.query_one(f"#{field}", Input).value):
                if kind == "aws_account" and not re.fullmatch(r"\d{12}", value):
                    raise InvalidInput(f"'{value}' is not an AWS account id (12 digits).")
                scope.append((kind, value))
        return {
            "name": name,
            "organisation": self.query_one("#organisation", Input).value.strip(),
            "path": path,
            "frameworks": frameworks,
            "scope": scope,
        }


class OpenFileDialog(FormDialog):
    """Pick an engagement file or an evidence package (.zip, opened for review)."""

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder = folder

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box wide-box"):
            yield Label("Open an engagement file or an evidence package", classes="dialog-title")
            yield Input(id="path", placeholder="type a path, or pick a file below")
            yield DirectoryTree(self.folder, id="files")
            yield Label("", classes="problem")
            yield buttons("Open")

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    @on(DirectoryTree.FileSelected)
    def _file(self, event: DirectoryTree.FileSelected) -> None:
        self.query_one("#path", Input).value = str(event.path)
        self.action_submit()

    def submit(self) -> Path:
        raw = self.query_one("#path", Input).value.strip()
        if not raw:
            raise InvalidInput("Type a path or pick a file.")
        path = Path(raw).expanduser()
        if not path.is_file():
            raise InvalidInput(f"{path} is not a file.")
        return path
