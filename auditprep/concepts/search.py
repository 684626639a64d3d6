"""Finding a concept by its name, an alias, a word that identifies it, or a question."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping

from auditprep.models import Concept


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
