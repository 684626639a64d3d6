"""Concepts: the container glossary written for assessors, searchable."""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from auditprep.concepts import find, lookup, suggest
from auditprep.models import Concept
from auditprep.tui.messages import EnvironmentLoaded
from auditprep.tui.screens.base import SectionScreen
from auditprep.tui.widgets.concept_view import ConceptView


def matches(concept: Concept, needle: str) -> bool:
    text = " ".join((concept.key, concept.name, *concept.aliases, concept.explanation)).casefold()
    return all(word in text for word in needle.casefold().split())


class ConceptsScreen(SectionScreen):
    SECTION = "concepts"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "search", "Search", id="concepts-search"),
        Binding("down", "results", "Results", show=False),
    ]

    def body(self) -> ComposeResult:
        with Horizontal(id="concepts-body"):
            with Vertical(id="concepts-pane"):
                yield Input(placeholder="/ search: fargate, sbom, docker.sock…", id="concept-search", compact=True)
                yield OptionList(id="concept-list")
                yield Label("", id="concept-hint", classes="muted")
            yield ConceptView(id="concept-view")

    def on_mount(self) -> None:
        super().on_mount()
        self._fill("")
        self.query_one("#concept-list").focus()
        self._environment()

    @work(thread=True, exclusive=True, exit_on_error=False, group="concepts")
    def _environment(self) -> None:
        self.post_message(EnvironmentLoaded(self.session.environment()))

    def on_environment_loaded(self, message: EnvironmentLoaded) -> None:
        self.query_one(ConceptView).set_environment(message.environment)

    def _fill(self, needle: str) -> None:
        concepts = self.session.catalog.concepts
        exact = find(concepts, needle) if needle else None
        shown = [c for c in concepts.values() if not needle or matches(c, needle)]
        if needle and not shown:  # a question ("what is a sidecar") rather than a name
            found, choices = lookup(concepts, needle)
            shown = [found] if found is not None else [concepts[k] for k in choices]
        if exact is not None and exact in shown:
            shown.remove(exact)
            shown.insert(0, exact)
        options = self.query_one("#concept-list", OptionList)
        options.clear_options()
        options.add_options([Option(c.name, id=c.key) for c in shown])
        hint = self.query_one("#concept-hint", Label)
        if shown:
            hint.update(f"{len(shown)} of {len(concepts)} concepts")
            options.highlighted = 0
        else:
            ideas = suggest(concepts, needle)
            hint.update(f"Nothing matches; did you mean {', '.join(ideas)}?" if ideas else "Nothing matches.")
            self.query_one(ConceptView).show(None)

    @on(Input.Changed, "#concept-search")
    def _search_changed(self, event: Input.Changed) -> None:
        self._fill(event.value.strip())

    @on(Input.Submitted, "#concept-search")
    def _search_done(self) -> None:
        self.query_one("#concept-list").focus()

    @on(OptionList.OptionHighlighted, "#concept-list")
    def _show(self, event: OptionList.OptionHighlighted) -> None:
        concept = self.session.catalog.concepts.get(event.option.id or "")
        self.query_one(ConceptView).show(concept, self.session.cached_environment())

    @on(OptionList.OptionSelected, "#concept-list")
    def _focus_text(self) -> None:
        self.query_one(ConceptView).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "results":  # Down leaves the search box for the list; elsewhere it is the list's
            return self.focused is self.query_one("#concept-search", Input)
        return super().check_action(action, parameters)

    def action_results(self) -> None:
        self.query_one("#concept-list", OptionList).focus()

    def action_search(self) -> None:
        self.query_one("#concept-search", Input).focus()

    def show_concept(self, key: str) -> None:
        options = self.query_one("#concept-list", OptionList)
        search = self.query_one("#concept-search", Input)
        if search.value:
            search.value = ""
            self._fill("")
        try:
            options.highlighted = options.get_option_index(key)
        except Exception:
            return
        options.focus()
