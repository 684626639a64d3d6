"""The controls by theme, each with a mark for where it stands; filterable."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.content import Content
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from auditprep.evaluate.posture import ControlPosture, Status
from auditprep.tui.session import Session

MARKS: dict[Status, tuple[str, str]] = {
    Status.IN_PLACE: ("✔", "$success"),
    Status.PARTIAL: ("◐", "$warning"),
    Status.NOT_IN_PLACE: ("✘", "$error"),
    Status.NOT_EVALUATED: ("○", "$text-muted"),
    Status.NOT_APPLICABLE: ("–", "$text-muted"),
    Status.EXCEPTION: ("⚑", "$primary"),
}


def mark(status: Status) -> Content:
    glyph, style = MARKS[status]
    return Content.styled(glyph, style)


@dataclass(frozen=True)
class TreeFilter:
    framework: str = ""
    status: str = ""  # a Status value, "conflict", or "" for all
    unanswered: bool = False
    text: str = ""

    def admits(self, cp: ControlPosture) -> bool:
        c = cp.control
        if self.framework and not c.mappings.get(self.framework):
            return False
        if self.status == "conflict":
            if not cp.conflict:
                return False
        elif self.status and cp.status.value != self.status:
            return False
        if self.unanswered and cp.answer is not None:
            return False
        if self.text:
            needle = self.text.casefold()
            if needle not in c.id.casefold() and needle not in c.title.casefold():
                return False
        return True


class ControlTree(Tree[str]):
    """Node data: ``theme:<key>`` for themes, the control id for controls."""

    def __init__(self, session: Session, *, id: str | None = None) -> None:
        super().__init__("Controls", id=id)
        self.session = session
        self.show_root = False
        self.guide_depth = 2
        self.nodes_by_control: dict[str, TreeNode[str]] = {}
        self.filter = TreeFilter()

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)

    def _theme_changed(self, _: object) -> None:
        for cid in list(self.nodes_by_control):
            self.update_control(cid)

    def _color(self, variable: str) -> str:
        """A theme colour for the Rich labels the tree draws ($text-muted becomes dim)."""
        name = variable.removeprefix("$")
        if name == "text-muted":
            return "dim"
        value = self.app.theme_variables.get(f"text-{name}") or self.app.theme_variables.get(name, "")
        return value if value.startswith("#") and len(value) == 7 else ""

    def label_for(self, cp: ControlPosture) -> Text:
        glyph, variable = MARKS[cp.status]
        flags = ""
        if cp.conflict:
            flags += "!"
        if self.session.review is not None and f"control:{cp.control.id}" in self.session.review.flagged():
            flags += "⚐"
        return Text.assemble(
            (glyph, self._color(variable)),
            " ",
            (cp.control.id, "bold"),
            (flags, f"bold {self._color('$error')}".strip()),
            " ",
            cp.control.title,
        )

    def populate(self, flt: TreeFilter | None = None) -> int:
        """Rebuild the tree for ``flt``; returns how many controls it shows."""
        if flt is not None:
            self.filter = flt
        posture = self.session.posture()
        self.clear()
        self.nodes_by_control = {}
        shown = 0
        by_theme: dict[str, list[ControlPosture]] = {}
        for c in self.session.controls_in_scope():
            by_theme.setdefault(c.theme, []).append(posture.controls[c.id])
        for theme in self.session.catalog.themes:
            controls = by_theme.get(theme.key, [])
            visible = [cp for cp in controls if self.filter.admits(cp)]
            if not visible:
                continue
            answered = sum(1 for cp in controls if cp.answer is not None)
            node = self.root.add(
                self._theme_label(theme.title, answered, len(controls)), data=f"theme:{theme.key}", expand=True
            )
            for cp in visible:
                self.nodes_by_control[cp.control.id] = node.add_leaf(self.label_for(cp), data=cp.control.id)
            shown += len(visible)
        return shown

    @staticmethod
    def _theme_label(title: str, answered: int, total: int) -> Text:
        return Text.assemble((title, "bold"), (f"  {answered}/{total}", "dim"))

    def update_control(self, control_id: str) -> None:
        node = self.nodes_by_control.get(control_id)
        if node is None:
            return
        node.set_label(self.label_for(self.session.control_posture(control_id)))
        parent = node.parent
        if parent is not None and parent.data and parent.data.startswith("theme:"):
            key = parent.data.split(":", 1)[1]
            controls = [c for c in self.session.controls_in_scope() if c.theme == key]
            answered = sum(1 for c in controls if self.session.control_posture(c.id).answer is not None)
            parent.set_label(self._theme_label(self.session.catalog.theme_title(key), answered, len(controls)))

    def select_control(self, control_id: str) -> bool:
        node = self.nodes_by_control.get(control_id)
        if node is None:
            return False
        self.move_cursor(node)
        self.scroll_to_node(node, animate=False)
        return True
