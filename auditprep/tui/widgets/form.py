"""Label-and-field rows for the forms (a grid cannot size rows as tall as a selection list)."""

from __future__ import annotations

from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import Label


def row(label: str | Widget, field: Widget) -> Horizontal:
    head = Label(label, classes="form-label") if isinstance(label, str) else label
    head.add_class("form-label")
    return Horizontal(head, field, classes="form-row")
