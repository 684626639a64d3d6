"""Progress per theme drawn as stacked bars: in place, exceptions, gaps, not evaluated."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from textual.content import Content
from textual.widget import Widget

# (count key, glyph, style) in the order the bar is drawn
SEGMENTS: tuple[tuple[str, str, str], ...] = (
    ("in_place", "█", "$success"),
    ("exceptions", "█", "$primary"),
    ("partial", "█", "$warning"),
    ("not_in_place", "█", "$error"),
    ("not_applicable", "▒", "$text-muted"),
    ("not_evaluated", "░", "$text-muted"),
)
COLUMNS: tuple[tuple[str, str], ...] = (
    ("answered", "Ans"),
    ("in_place", "OK"),
    ("gaps", "Gaps"),
    ("exceptions", "Exc"),
    ("not_evaluated", "N/E"),
)
NUM = 5


def legend() -> Content:
    parts: list[Content | str] = []
    for label, key in (
        ("in place", "in_place"),
        ("exception", "exceptions"),
        ("partial", "partial"),
        ("not in place", "not_in_place"),
        ("n/a", "not_applicable"),
        ("not evaluated", "not_evaluated"),
    ):
        glyph, style = next((g, s) for k, g, s in SEGMENTS if k == key)
        parts += [Content.styled(glyph, style), f" {label}  "]
    return Content.assemble(*parts)


def bar(counts: dict[str, int], width: int) -> Content:
    total = counts.get("controls", 0)
    if width <= 0:
        return Content("")
    if not total:
        return Content.styled("·" * width, "$text-muted")
    # largest-remainder rounding so the segments always fill the width exactly
    raw = [(key, glyph, style, counts.get(key, 0) * width / total) for key, glyph, style in SEGMENTS]
    cells = [int(r[3]) for r in raw]
    rest = width - sum(cells)
    order = sorted(range(len(raw)), key=lambda i: raw[i][3] - cells[i], reverse=True)
    for i in order[:rest]:
        cells[i] += 1
    return Content.assemble(
        *(Content.styled(glyph * n, style) for (_, glyph, style, _), n in zip(raw, cells, strict=True) if n)
    )


MIN_BAR = 10


@dataclass(frozen=True)
class Row:
    key: str
    title: str
    counts: dict[str, int]


class ProgressTable(Widget):
    """One framework: a line per theme (and a total), the bar taking the width that is left."""

    DEFAULT_CSS = """
    ProgressTable { height: auto; }
    """

    def __init__(self, rows: Sequence[Row], total: Row, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows = list(rows)
        self.total = total

    def update_rows(self, rows: Sequence[Row], total: Row) -> None:
        self.rows = list(rows)
        self.total = total
        self.refresh(layout=True)

    def get_content_height(self, container, viewport, width: int) -> int:  # type: ignore[no-untyped-def]
        return len(self.rows) + 2

    def render(self) -> Content:
        width = self.size.width or 80
        fixed = NUM * len(COLUMNS) + 2
        longest = max((len(r.title) for r in [*self.rows, self.total]), default=12)
        # names whole whenever a bar of ten cells still fits (a theme's name is what people read);
        # only a terminal narrower than 80 columns shortens them
        name_w = max(12, min(longest, width - fixed - MIN_BAR))
        bar_w = max(6, width - name_w - fixed)
        header = Content.assemble(
            ("Theme".ljust(name_w), "bold $text-muted"),
            " ",
            # the bar is posture (how the controls stand), not progress; answering progress is "Ans"
            (("Control status" if bar_w >= 14 else "Status")[:bar_w].ljust(bar_w), "bold $text-muted"),
            " ",
            *((label.rjust(NUM), "bold $text-muted") for _, label in COLUMNS),
        )
        lines = [header]
        for row in [*self.rows, self.total]:
            title = row.title if len(row.title) <= name_w else row.title[: name_w - 1] + "…"
            style = "bold" if row is self.total else ""
            name = Content.styled(title.ljust(name_w), style)
            if row is not self.total:
                name = name.stylize(f"@click=screen.open_theme('{row.key}')")
            answered = f"{row.counts['answered']}/{row.counts['controls']}"
            nums = [answered] + [str(row.counts[k]) for k, _ in COLUMNS[1:]]
            gaps_style = "$error" if row.counts["gaps"] else ""
            cells = [
                Content.styled(n.rjust(NUM), gaps_style if k == "gaps" else style)
                for n, (k, _) in zip(nums, COLUMNS, strict=True)
            ]
            lines.append(Content.assemble(name, " ", bar(row.counts, bar_w), " ", *cells))
        return Content("\n").join(lines)
