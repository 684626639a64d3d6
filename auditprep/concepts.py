"""Containers explained for assessors: finding, rendering and tailoring concept explanations.

Concepts are data (``questionnaires/concepts/*.yaml``, loaded and cross-checked by the catalog
loader). This module works on already-loaded :class:`~auditprep.models.Concept` objects so the same
text reaches the terminal (``auditprep explain``), the TUI and the PDF report unchanged. It is pure:
no I/O, no third-party imports beyond pydantic models.

Tailoring exists because the honest answer to "who patches the host?" depends on what the evidence
found: on Fargate only, AWS carries the host layer; with EC2 container instances or Docker hosts, the
team does, and the assessor tests it there.
"""

from __future__ import annotations

import difflib
import re
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from auditprep.models import FRAMEWORK_IDS, Concept, Diagram

FRAMEWORK_LABELS = {
    "pci-dss": "PCI DSS v4.0.1",
    "hipaa": "HIPAA Security Rule",
    "hitrust": "HITRUST CSF v11",
    "fedramp-moderate": "FedRAMP Moderate (NIST SP 800-53 r5)",
    "fedramp-20x": "FedRAMP 20x (Key Security Indicators)",
}


# --- finding a concept -----------------------------------------------------------------------


def _normalise(term: str) -> str:
    """Fold case and drop spaces, hyphens and punctuation, so "Docker.sock" finds "docker sock"."""
    return re.sub(r"[^0-9a-z]", "", term.casefold())


def _labels(concept: Concept) -> Iterable[str]:
    yield concept.key
    yield concept.name
    yield from concept.aliases


def find(concepts: Mapping[str, Concept], term: str) -> Concept | None:
    """The concept whose key, name or alias equals ``term``, ignoring case, spaces and hyphens.

    A key wins over a name, and a name over an alias, so an alias can never shadow a concept.
    """
    wanted = _normalise(term)
    if not wanted:
        return None
    for pick in (
        lambda c: (c.key,),
        lambda c: (c.name,),
        lambda c: c.aliases,
    ):
        for concept in concepts.values():
            if any(_normalise(label) == wanted for label in pick(concept)):
                return concept
    return None


_FILLER = frozenset(
    "a an the is are what whats what's explain me about of in for on and or to how does do why container containers".split()
)


def _words(text: str) -> list[str]:
    return [w for w in re.findall(r"[0-9a-z]+", text.casefold()) if w not in _FILLER]


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def lookup(concepts: Mapping[str, Concept], term: str) -> tuple[Concept | None, list[str]]:
    """The concept a query identifies, or the candidates when it is genuinely ambiguous.

    An exact key, name or alias wins. Otherwise the query's words (question words dropped, "what is
    a sidecar" -> "sidecar") are matched against each concept's key, name and aliases, word by word;
    one concept matching best opens, several matching equally are listed, and only when no label
    matches does the explanation text decide.
    """
    exact = find(concepts, term)
    if exact is not None:
        return exact, []
    words = {_stem(w) for w in _words(term)}
    if not words:
        return None, []
    stripped = find(concepts, " ".join(_words(term)))
    if stripped is not None:
        return stripped, []

    def label_score(concept: Concept) -> int:
        label_words = {_stem(w) for label in _labels(concept) for w in re.findall(r"[0-9a-z]+", label.casefold())}
        return len(words & label_words)

    def text_score(concept: Concept) -> int:
        text_words = {
            _stem(w) for w in re.findall(r"[0-9a-z]+", f"{concept.explanation} {concept.why_it_matters}".casefold())
        }
        return len(words & text_words)

    for score in (label_score, text_score):
        scored = sorted(((score(c), c.key) for c in concepts.values()), reverse=True)
        top = scored[0][0] if scored else 0
        if top == 0:
            continue
        best = [key for s, key in scored if s == top]
        if score is label_score and len(best) == 1:
            return concepts[best[0]], []
        if score is label_score:
            return None, sorted(best)[:6]
        if len(best) == 1 and top == len(words):
            return concepts[best[0]], []
        return None, sorted(best)[:6]
    return None, []


def suggest(concepts: Mapping[str, Concept], term: str, n: int = 3) -> list[str]:
    """Up to ``n`` concept keys that ``term`` probably meant, best first ("did you mean").

    Scores every key, name and alias by similarity to the term; a label that contains the term (or
    is contained in it) counts as a strong match, so "sock" suggests the Docker socket concept.
    """
    wanted = _normalise(term)
    if not wanted or n <= 0:
        return []
    best: dict[str, float] = {}
    for concept in concepts.values():
        for label in _labels(concept):
            candidate = _normalise(label)
            if not candidate:
                continue
            score = difflib.SequenceMatcher(None, wanted, candidate).ratio()
            if len(wanted) >= 3 and (wanted in candidate or candidate in wanted):
                score = max(score, 0.8 + 0.2 * min(len(wanted), len(candidate)) / max(len(wanted), len(candidate)))
            if score > best.get(concept.key, 0.0):
                best[concept.key] = score
    ranked = sorted((item for item in best.items() if item[1] >= 0.6), key=lambda kv: (-kv[1], kv[0]))
    return [key for key, _ in ranked[:n]]


def unknown_term_message(concepts: Mapping[str, Concept], term: str) -> str:
    """One sentence for an unknown term, with suggestions when there are any."""
    hints = suggest(concepts, term)
    if hints:
        return f"No concept called {term!r}; did you mean: {', '.join(hints)}?"
    return f"No concept called {term!r}; run 'auditprep explain' to list them."


# --- tailoring to what the evidence found ------------------------------------------------------


@dataclass(frozen=True)
class Environment:
    """Which container platforms the collected evidence shows.

    ``fargate``: ECS tasks on Fargate or EKS Fargate profiles. ``ec2_container_instances``: ECS
    container instances or EKS nodes on EC2. ``eks``: at least one EKS cluster. ``docker_hosts``:
    Docker Engine hosts reached directly. ``swarm``: a Docker host that is part of a swarm.
    """

    fargate: bool = False
    ec2_container_instances: bool = False
    eks: bool = False
    docker_hosts: bool = False
    swarm: bool = False

    @property
    def team_hosts(self) -> bool:
        """The team runs at least some of the machines its containers run on."""
        return self.ec2_container_instances or self.docker_hosts or self.swarm

    @property
    def fargate_only(self) -> bool:
        return self.fargate and not self.team_hosts

    @property
    def empty(self) -> bool:
        return not (self.fargate or self.team_hosts or self.eks)

    def host_platforms(self) -> list[str]:
        names = []
        if self.ec2_container_instances:
            names.append("ECS or EKS hosts on EC2")
        if self.docker_hosts or self.swarm:
            names.append("Docker Swarm hosts" if self.swarm else "Docker hosts")
        return names


TAILORED = frozenset(
    {
        "shared-responsibility",
        "fargate",
        "host-node",
        "container-runtime",
        "runtime-monitoring",
        "ephemeral-forensics",
        "patching-by-rebuild",
        "docker-daemon-api",
        "docker-swarm",
        "eks-control-plane",
    }
)

_AWS_CARRIES = (
    "The evidence shows containers on Fargate only, so no host in scope is the team's to run. "
    "AWS patches the host operating system, kernel and container runtime (the host side of "
    "PCI DSS 6.3.3 and of SI-2), and intrusion detection and file-integrity monitoring on those "
    "hosts (the host side of PCI DSS 11.5.1 and 11.5.2, SI-4(23) and SC-7(12)) are AWS's, shown "
    "through its attestations rather than by anything the team collects."
)
_TEAM_KEEPS_ON_FARGATE = (
    "The team still owns the contents and patching of every image, the task definitions and pod "
    "specs, turning on runtime monitoring (GuardDuty adds a sidecar to ECS tasks on Fargate but "
    "does not cover EKS pods on Fargate), shipping logs out of each task, and keeping the platform "
    "version current."
)


def _team_hosts_sentence(env: Environment) -> str:
    platforms = " and ".join(env.host_platforms())
    return (
        f"The evidence shows {platforms}, which the team runs. On those machines, host OS and kernel "
        "patching and runtime updates (PCI DSS 6.3.3, SI-2), host intrusion detection and "
        "anti-malware (PCI DSS 11.5.1 and 5.2.1, SI-4(23), SC-7(12)) and file-integrity monitoring "
        "(PCI DSS 11.5.2) are the team's requirements, and the assessor will test them on the hosts."
    )


def _host_split(env: Environment) -> list[str]:
    if env.fargate_only:
        return [_AWS_CARRIES, _TEAM_KEEPS_ON_FARGATE]
    parts = [_team_hosts_sentence(env)]
    if env.fargate:
        parts.append(
            "Fargate tasks found alongside them inherit the host layer from AWS; the hosts above do "
            "not, so a host control is met only when those hosts are covered."
        )
    if env.swarm:
        parts.append(
            "With Docker Swarm the orchestrator is the team's too: the managers, their certificates "
            "and the encrypted Raft store."
        )
    return parts


def tailored_note(concept: Concept, env: Environment) -> str | None:
    """A paragraph saying how ``concept`` applies to the platforms the evidence found.

    Returns ``None`` for concepts that read the same everywhere, and when nothing was found.
    """
    if concept.key not in TAILORED or env.empty:
        return None
    key = concept.key
    parts: list[str] = []
    if key in ("shared-responsibility", "fargate", "host-node", "container-runtime"):
        if not (env.fargate or env.team_hosts):
            return None
        parts = _host_split(env)
    elif key == "runtime-monitoring":
        if env.fargate:
            parts.append(
                "For Fargate tasks there is no host to install an agent on: coverage means the "
                "GuardDuty sidecar, or a vendor sidecar, in every task."
            )
            if env.eks:
                parts.append(
                    "GuardDuty Runtime Monitoring does not cover EKS pods on Fargate, so those need "
                    "another sensor or a documented compensating control."
                )
        if env.team_hosts:
            parts.append(
                f"On the {' and '.join(env.host_platforms())}, coverage means an agent on every "
                "host, reported healthy; this is the team's host IDS requirement (PCI DSS 11.5.1, "
                "SI-4(23), SC-7(12))."
            )
    elif key == "ephemeral-forensics":
        if env.fargate:
            parts.append(
                "For Fargate tasks there is no host to snapshot: the playbook relies on logs already "
                "shipped, runtime findings, and ECS Exec only if it was enabled before the incident."
            )
        if env.team_hosts:
            parts.append(
                "On the team's own hosts the playbook can also isolate the instance, snapshot its "
                "volumes and capture docker diff or export output before anything is replaced."
            )
    elif key == "patching-by-rebuild":
        if env.fargate_only:
            parts.append(
                "On Fargate only, rebuilding images is the whole patching job the team owns; host "
                "fixes arrive as new platform versions, which tasks pick up when they are replaced."
            )
        elif env.team_hosts:
            parts.append(
                f"Besides rebuilding images, the team patches the {' and '.join(env.host_platforms())}: "
                "operating system, kernel and runtime, with their own evidence and deadlines "
                "(PCI DSS 6.3.3, SI-2)."
            )
    elif key == "docker-daemon-api":
        if env.docker_hosts or env.swarm:
            parts.append(
                "Docker hosts were reached: the daemon socket, any TCP listener and docker group "
                "membership on each of them are the team's to control and evidence."
            )
        if env.ec2_container_instances:
            parts.append(
                "On ECS container instances the Docker daemon still runs beside the ECS agent, so "
                "root access to an instance is access to every container on it."
            )
        if env.fargate_only:
            parts.append(
                "No Docker daemon is reachable on Fargate; interactive access goes through ECS Exec, "
                "whose logging is the control to test instead."
            )
    elif key == "docker-swarm":
        if env.swarm:
            parts.append(
                "A swarm was found: AWS operates none of it, so managers, certificate rotation, "
                "autolock and overlay encryption are all the team's controls."
            )
        elif env.docker_hosts:
            parts.append(
                "Docker hosts were found but no swarm, so containers there are started directly and "
                "their settings come from whoever runs them."
            )
    elif key == "eks-control-plane":
        if env.eks:
            parts.append(
                "EKS clusters were found: AWS operates their control planes, and the version, endpoint "
                "exposure, audit logging, secrets encryption and access entries are the team's settings."
            )
    return " ".join(parts) or None


# --- terminal rendering ----------------------------------------------------------------------

_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _plain(text: str) -> str:
    """Text safe to print: no terminal control sequences, whitespace collapsed."""
    return " ".join(_CONTROL_CHARS.sub("", text).split())


def _wrap(text: str, width: int, indent: str = "", hanging: str | None = None) -> list[str]:
    return textwrap.wrap(
        _plain(text),
        width=max(width, len(indent) + 8),
        initial_indent=indent,
        subsequent_indent=indent if hanging is None else hanging,
        break_on_hyphens=False,
    ) or [indent.rstrip()]


def render_text(concept: Concept, width: int = 80, environment: Environment | None = None) -> str:
    """The concept as plain text for the terminal, every line at most ``width`` characters."""
    lines: list[str] = []
    lines += _wrap(f"{concept.name} ({concept.key})", width)
    if concept.aliases:
        lines += _wrap("Also called: " + ", ".join(concept.aliases), width, "", "  ")
    lines.append("")
    lines += _wrap(concept.explanation, width)
    lines += ["", "Why it matters for the audit"]
    lines += _wrap(concept.why_it_matters, width, "  ")
    note = tailored_note(concept, environment) if environment is not None else None
    if note:
        lines += ["", "In this environment"]
        lines += _wrap(note, width, "  ")
    lines += ["", "Evidence auditprep collects"]
    for item in concept.evidence:
        lines += _wrap(item, width, "  - ", "    ")
    if concept.requirements:
        lines += ["", "Requirements"]
        order = [f for f in FRAMEWORK_IDS if f in concept.requirements]
        order += sorted(f for f in concept.requirements if f not in FRAMEWORK_IDS)
        for framework in order:
            label = FRAMEWORK_LABELS.get(framework, framework)
            lines += _wrap(f"{label}: {', '.join(concept.requirements[framework])}", width, "  ", "    ")
    if concept.related:
        lines += [""]
        lines += _wrap("Related: " + ", ".join(concept.related), width, "", "  ")
    if concept.diagram is not None:
        lines += ["", diagram_text(concept.diagram, width)]
    return "\n".join(lines).rstrip() + "\n"


def render_index(concepts: Mapping[str, Concept], width: int = 80) -> str:
    """One line per concept (key, then name) for ``auditprep explain`` with no term."""
    if not concepts:
        return ""
    key_width = min(max(len(k) for k in concepts), max(width // 2, 10))
    lines = []
    for key, concept in concepts.items():
        lead = key.ljust(key_width) + "  "
        lines += _wrap(concept.name, width, lead, " " * len(lead))
    return "\n".join(lines) + "\n"


def diagram_text(diagram: Diagram, width: int = 80) -> str:
    """The diagram drawn with box-drawing characters, no line wider than ``width``.

    A flow is drawn left to right when it fits, otherwise top to bottom; a columns diagram is an
    aligned table whose cells wrap to fit.
    """
    width = max(width, 24)
    title = _wrap(diagram.title, width)
    if diagram.kind == "columns":
        body = _table_text(_column_cells(diagram), width)
    elif not diagram.nodes:
        body = []
    else:
        body = _flow_across(diagram, width) or _flow_down(diagram, width)
    return "\n".join(title + [""] + body)


def _box(lines: Sequence[str], inner: int, height: int) -> list[str]:
    padded = list(lines) + [""] * (height - len(lines))
    return (
        ["┌" + "─" * (inner + 2) + "┐"]
        + [f"│ {line.ljust(inner)} │" for line in padded]
        + ["└" + "─" * (inner + 2) + "┘"]
    )


def _cell_wrap(text: str, width: int) -> list[str]:
    return textwrap.wrap(_plain(text), width, break_on_hyphens=False) or [""]


def _node_lines(label: str, detail: str, inner: int) -> list[str]:
    lines = _cell_wrap(label, inner)
    if detail:
        lines += _cell_wrap(detail, inner)
    return lines


def _flow_across(diagram: Diagram, width: int) -> list[str] | None:
    inners = [max(len(_plain(n.label)), min(len(_plain(n.detail)), 16)) for n in diagram.nodes]
    arrow = " ──▶ "
    total = sum(i + 4 for i in inners) + len(arrow) * (len(inners) - 1)
    if total > width:
        return None
    contents = [_node_lines(n.label, n.detail, i) for n, i in zip(diagram.nodes, inners, strict=True)]
    height = max(len(c) for c in contents)
    boxes = [_box(c, i, height) for c, i in zip(contents, inners, strict=True)]
    middle = 1 + (height - 1) // 2
    rows = []
    for r in range(height + 2):
        joint = arrow if r == middle else " " * len(arrow)
        rows.append(joint.join(box[r] for box in boxes).rstrip())
    return rows


def _flow_down(diagram: Diagram, width: int) -> list[str]:
    longest = max([len(_plain(n.label)) for n in diagram.nodes] + [len(_plain(n.detail)) for n in diagram.nodes])
    inner = max(min(longest, width - 4), 1)
    centre = " " * ((inner + 4) // 2)
    rows: list[str] = []
    for index, node in enumerate(diagram.nodes):
        if index:
            rows += [centre + "│", centre + "▼"]
        content = _node_lines(node.label, node.detail, inner)
        rows += _box(content, inner, len(content))
    return rows


def _column_cells(diagram: Diagram) -> list[list[str]]:
    """The columns as a grid: first row headings, then one row per label."""
    columns = [(str(c.get("heading", "")), [str(r) for r in c.get("rows", ())]) for c in diagram.columns]
    if not columns:
        return []
    height = max(len(rows) for _, rows in columns)
    grid = [[_plain(heading) for heading, _ in columns]]
    for r in range(height):
        grid.append([_plain(rows[r]) if r < len(rows) else "" for _, rows in columns])
    return grid


def _fit_widths(natural: list[int], preferred: list[int], budget: int, floor: int) -> list[int]:
    """Shrink the widest columns until the table fits: first down to each column's longest word,
    then below it (words are then split) but never under ``floor``."""
    widths = list(natural)
    for limits in (preferred, [floor] * len(widths)):
        while sum(widths) > budget:
            candidates = [i for i in range(len(widths)) if widths[i] > max(limits[i], floor)]
            if not candidates:
                break
            widest = max(candidates, key=lambda i: widths[i])
            widths[widest] -= 1
    return widths


def _table_text(grid: list[list[str]], width: int) -> list[str]:
    if not grid:
        return []
    count = len(grid[0])
    natural = [max(len(row[c]) for row in grid) or 1 for c in range(count)]
    budget = width - 3 * count - 1
    floor = max(1, min(6, budget // count))
    words = [max((len(word) for row in grid for word in row[c].split()), default=1) for c in range(count)]
    widths = _fit_widths(natural, words, budget, floor)

    def rule(left: str, mid: str, right: str) -> str:
        return left + mid.join("─" * (w + 2) for w in widths) + right

    out = [rule("┌", "┬", "┐")]
    for index, row in enumerate(grid):
        cells = [_cell_wrap(text, w) for text, w in zip(row, widths, strict=True)]
        for line in range(max(len(c) for c in cells)):
            parts = [(c[line] if line < len(c) else "").ljust(w) for c, w in zip(cells, widths, strict=True)]
            out.append("│ " + " │ ".join(parts) + " │")
        out.append(rule("└", "┴", "┘") if index == len(grid) - 1 else rule("├", "┼", "┤"))
    return out


# --- SVG for the report ----------------------------------------------------------------------

_XML_INVALID = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_FONT = 'font-family="sans-serif"'
_INK = "#1f2937"
_LINE = "#4b5563"
_FILL = "#f3f4f6"
_HEAD = "#e5e7eb"


def _x(text: str) -> str:
    """Escaped text content, with characters XML cannot carry removed."""
    return escape(_XML_INVALID.sub("", text))


def _text_block(
    lines: Sequence[str], x: float, y: float, size: int, line_height: int, bold: bool = False, anchor: str = "middle"
) -> str:
    weight = ' font-weight="bold"' if bold else ""
    spans = "".join(f'<tspan x="{x:g}" y="{y + i * line_height:g}">{_x(line)}</tspan>' for i, line in enumerate(lines))
    return f'<text {_FONT} font-size="{size}" fill="{_INK}" text-anchor="{anchor}"{weight}>{spans}</text>'


def diagram_svg(diagram: Diagram, standalone: bool = False) -> str:
    """The diagram as a self-contained SVG: no links, scripts, fonts or images from anywhere.

    Meant to be inlined into the HTML report. ``standalone=True`` adds the SVG namespace
    declaration, which a separate ``.svg`` file needs to be recognised.
    """
    if diagram.kind == "columns":
        body, w, h = _columns_svg(diagram)
    else:
        body, w, h = _flow_svg(diagram)
    namespace = ' xmlns="http://www.w3.org/2000/svg"' if standalone else ""
    return (
        f'<svg{namespace} viewBox="0 0 {w:g} {h:g}" width="{w:g}" height="{h:g}" role="img" '
        f"aria-label={quoteattr(_XML_INVALID.sub('', diagram.title))}>"
        f"<title>{_x(diagram.title)}</title>{body}</svg>"
    )


def _flow_svg(diagram: Diagram) -> tuple[str, float, float]:
    box_w, gap, margin, per_row = 128, 24, 8, 4
    label_chars, detail_chars, line_h = 16, 19, 15
    title_h = 34
    contents = [
        (_cell_wrap(n.label, label_chars), _cell_wrap(n.detail, detail_chars) if n.detail else [])
        for n in diagram.nodes
    ]
    rows = [contents[i : i + per_row] for i in range(0, len(contents), per_row)] or [[]]
    heights = [max((12 + line_h * (len(lab) + len(det)) for lab, det in row), default=40) for row in rows]
    columns = min(len(contents), per_row) or 1
    width = max(margin * 2 + columns * box_w + (columns - 1) * gap, _title_width(diagram.title, margin))
    row_gap = 32
    height = title_h + sum(heights) + row_gap * (len(rows) - 1) + margin
    parts = [_text_block([diagram.title], margin, 22, 14, line_h, bold=True, anchor="start")]
    y = float(title_h)
    for r, row in enumerate(rows):
        row_h = heights[r]
        for c, (label, detail) in enumerate(row):
            x = margin + c * (box_w + gap)
            parts.append(
                f'<rect x="{x:g}" y="{y:g}" width="{box_w}" height="{row_h}" rx="6" fill="{_FILL}" '
                f'stroke="{_LINE}" stroke-width="1.2"/>'
            )
            top = y + 6 + line_h - 3
            parts.append(_text_block(label, x + box_w / 2, top, 12, line_h, bold=True))
            if detail:
                parts.append(_text_block(detail, x + box_w / 2, top + line_h * len(label), 11, line_h))
            if c < len(row) - 1:
                ax, ay = x + box_w, y + row_h / 2
                parts.append(_arrow([(ax + 2, ay), (ax + gap - 2, ay)]))
        if r < len(rows) - 1:
            last_x = margin + (len(row) - 1) * (box_w + gap) + box_w / 2
            first_x = margin + box_w / 2
            bottom, mid, next_top = y + row_h, y + row_h + row_gap / 2, y + row_h + row_gap
            parts.append(_arrow([(last_x, bottom + 2), (last_x, mid), (first_x, mid), (first_x, next_top - 2)]))
        y += row_h + row_gap
    return "".join(parts), width, height


def _title_width(title: str, margin: float) -> float:
    return 2 * margin + len(_plain(title)) * 8.6  # 14px bold


def _arrow(points: Sequence[tuple[float, float]]) -> str:
    """A polyline ending in a drawn arrowhead (no markers, so no ids to clash between diagrams)."""
    path = " ".join(f"{x:g},{y:g}" for x, y in points)
    (x1, y1), (x2, y2) = points[-2], points[-1]
    if x1 == x2:
        step = 1 if y2 > y1 else -1
        head = [(x2, y2), (x2 - 4, y2 - 7 * step), (x2 + 4, y2 - 7 * step)]
    else:
        step = 1 if x2 > x1 else -1
        head = [(x2, y2), (x2 - 7 * step, y2 - 4), (x2 - 7 * step, y2 + 4)]
    head_points = " ".join(f"{x:g},{y:g}" for x, y in head)
    return (
        f'<polyline points="{path}" fill="none" stroke="{_LINE}" stroke-width="1.4"/>'
        f'<polygon points="{head_points}" fill="{_LINE}"/>'
    )


def _columns_svg(diagram: Diagram) -> tuple[str, float, float]:
    grid = _column_cells(diagram)
    margin, pad, line_h, title_h = 8, 8, 15, 34
    plain_w, bold_w = 6.1, 6.9  # average advance of 11px sans-serif, regular and bold
    if not grid:
        return _text_block([diagram.title], margin, 22, 14, line_h, bold=True, anchor="start"), 200.0, 50.0
    count = len(grid[0])
    caps = [26] + [18] * (count - 1)
    chars = [max(6, min(cap, max(len(row[c]) for row in grid))) for c, cap in enumerate(caps)]
    wrapped = [[_cell_wrap(text, ch) for text, ch in zip(row, chars, strict=True)] for row in grid]
    col_w = [
        max(len(line) * (bold_w if (r == 0 or c == 0) else plain_w) for r, row in enumerate(wrapped) for line in row[c])
        + 2 * pad
        for c in range(count)
    ]
    row_h = [max(len(cell) for cell in row) * line_h + 2 * pad - 2 for row in wrapped]
    width = max(margin * 2 + sum(col_w), _title_width(diagram.title, margin))
    height = title_h + sum(row_h) + margin
    parts = [_text_block([diagram.title], margin, 22, 14, line_h, bold=True, anchor="start")]
    y = float(title_h)
    for r, row in enumerate(wrapped):
        x = float(margin)
        for c, cell in enumerate(row):
            fill = _HEAD if r == 0 else (_FILL if c == 0 else "#ffffff")
            parts.append(
                f'<rect x="{x:g}" y="{y:g}" width="{col_w[c]:g}" height="{row_h[r]:g}" fill="{fill}" '
                f'stroke="{_LINE}" stroke-width="0.8"/>'
            )
            parts.append(
                _text_block(cell, x + pad, y + pad + line_h - 4, 11, line_h, bold=(r == 0 or c == 0), anchor="start")
            )
            x += col_w[c]
        y += row_h[r]
    return "".join(parts), width, height
