"""The concept library: its data, lookup, terminal and SVG rendering, and tailoring."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from auditprep import concepts as C
from auditprep.catalog import load_catalog
from auditprep.models import FRAMEWORK_IDS, Concept, Diagram, DiagramNode

CONCEPTS_YAML = Path(__file__).resolve().parents[1] / "questionnaires" / "concepts" / "concepts.yaml"

# The fixed list controls may reference; the library must hold exactly these.
EXPECTED_KEYS = {
    "image",
    "layer",
    "base-image",
    "dockerfile-build-pipeline",
    "registry-repository",
    "tag-vs-digest",
    "container",
    "ephemeral-immutable",
    "container-runtime",
    "host-node",
    "orchestrator",
    "ecs-task-definition",
    "ecs-service",
    "kubernetes-pod",
    "sidecar-daemonset",
    "linux-namespaces",
    "kubernetes-namespaces",
    "cgroups",
    "privileged-container",
    "capabilities",
    "seccomp-apparmor-selinux",
    "non-root-userns-rootless",
    "read-only-root-filesystem",
    "volumes-bind-mounts-docker-socket",
    "overlay-networks-awsvpc",
    "service-mesh-mtls",
    "image-scanning",
    "runtime-monitoring",
    "sbom",
    "image-signing-provenance",
    "admission-control",
    "drift",
    "task-roles-irsa",
    "fargate",
    "shared-responsibility",
    "ephemeral-forensics",
    "patching-by-rebuild",
    "docker-daemon-api",
    "docker-swarm",
    "secrets-injection",
    "eks-control-plane",
}

REQUIREMENT_FORMATS = {
    "pci-dss": re.compile(r"^(A\d\.)?\d{1,2}(\.\d{1,2}){1,3}$"),
    "hipaa": re.compile(r"^164\.\d{3}(\([a-zA-Z0-9]+\))+$"),
    "hitrust": re.compile(r"^\d{2}\.[a-z]{1,2}$"),
    "fedramp-moderate": re.compile(r"^[A-Z]{2}-\d{1,2}(\(\d{1,2}\))?$"),
}

FARGATE_ONLY = C.Environment(fargate=True)
DOCKER_HOSTS = C.Environment(docker_hosts=True)
EVERYTHING = C.Environment(fargate=True, ec2_container_instances=True, eks=True, docker_hosts=True, swarm=True)


@pytest.fixture(scope="module")
def raw() -> list[dict]:
    return yaml.safe_load(CONCEPTS_YAML.read_text(encoding="utf-8"))["concepts"]


@pytest.fixture(scope="module")
def concepts(raw: list[dict]) -> dict[str, Concept]:
    return {item["key"]: Concept.model_validate(item) for item in raw}


# --- the data ----------------------------------------------------------------------------------


def test_library_holds_exactly_the_fixed_keys_once_each(raw: list[dict]) -> None:
    keys = [item["key"] for item in raw]
    assert len(keys) == len(set(keys)), "duplicate concept keys"
    assert set(keys) == EXPECTED_KEYS


def test_explanations_are_80_to_150_words(concepts: dict[str, Concept]) -> None:
    wrong = {k: len(c.explanation.split()) for k, c in concepts.items() if not 80 <= len(c.explanation.split()) <= 150}
    assert wrong == {}


def test_each_concept_has_evidence_reasons_and_requirements(concepts: dict[str, Concept]) -> None:
    for key, concept in concepts.items():
        assert 2 <= len(concept.evidence) <= 4, key
        assert 2 <= len(re.findall(r"[.!?](\s|$)", concept.why_it_matters)) <= 4, key
        assert set(concept.requirements) == set(FRAMEWORK_IDS), key


def test_requirement_ids_have_each_frameworks_format(concepts: dict[str, Concept]) -> None:
    bad = [
        (key, framework, rid)
        for key, concept in concepts.items()
        for framework, ids in concept.requirements.items()
        for rid in ids
        if not REQUIREMENT_FORMATS[framework].match(rid)
    ]
    assert bad == []


def test_related_keys_resolve_and_are_not_self_references(concepts: dict[str, Concept]) -> None:
    for key, concept in concepts.items():
        assert concept.related, key
        assert key not in concept.related
        assert len(set(concept.related)) == len(concept.related), key
        assert set(concept.related) <= set(concepts), (key, set(concept.related) - set(concepts))


def test_every_concept_is_reachable_from_another(concepts: dict[str, Concept]) -> None:
    pointed_at = {r for c in concepts.values() for r in c.related}
    assert set(concepts) - pointed_at == set()


def test_no_name_or_alias_means_two_concepts(concepts: dict[str, Concept]) -> None:
    owner: dict[str, str] = {}
    for key, concept in concepts.items():
        for label in (concept.key, concept.name, *concept.aliases):
            folded = re.sub(r"[^0-9a-z]", "", label.casefold())
            assert owner.setdefault(folded, key) == key, f"{label!r} used by {owner[folded]} and {key}"


def test_key_diagrams_exist_and_are_well_formed(concepts: dict[str, Concept]) -> None:
    wanted = {
        "image": "flow",
        "ecs-task-definition": "flow",
        "shared-responsibility": "columns",
        "fargate": "flow",
        "patching-by-rebuild": "flow",
        "ephemeral-forensics": "flow",
    }
    for key, kind in wanted.items():
        diagram = concepts[key].diagram
        assert diagram is not None and diagram.kind == kind, key
    for concept in concepts.values():
        diagram = concept.diagram
        if diagram is None:
            continue
        if diagram.kind == "flow":
            assert len(diagram.nodes) >= 3 and not diagram.columns, concept.key
        else:
            assert not diagram.nodes
            assert all(set(col) == {"heading", "rows"} for col in diagram.columns), concept.key
            assert len({len(col["rows"]) for col in diagram.columns}) == 1, concept.key


def test_shared_responsibility_table_compares_the_three_platforms(concepts: dict[str, Concept]) -> None:
    diagram = concepts["shared-responsibility"].diagram
    assert diagram is not None
    headings = [col["heading"] for col in diagram.columns]
    assert headings[1:] == ["Fargate", "ECS or EKS on EC2", "Docker host on EC2"]
    table = {
        label: [col["rows"][i] for col in diagram.columns[1:]] for i, label in enumerate(diagram.columns[0]["rows"])
    }
    assert table["Host OS and kernel patching"][0] == "AWS"
    assert table["Host OS and kernel patching"][2] == "Team"
    assert all(cell == "Team" for cell in table["Image contents and patching"])


# --- find and suggest --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("term", "key"),
    [
        ("fargate", "fargate"),
        ("AWS Fargate", "fargate"),
        ("microVM", "fargate"),
        ("IRSA", "task-roles-irsa"),
        ("pod identity", "task-roles-irsa"),
        ("Pod-Identity", "task-roles-irsa"),
        ("docker.sock", "volumes-bind-mounts-docker-socket"),
        ("  TAG vs DIGEST ", "tag-vs-digest"),
        ("tag_vs_digest", "tag-vs-digest"),
        ("sbom", "sbom"),
        ("--privileged", "privileged-container"),
    ],
)
def test_find_matches_keys_names_and_aliases_loosely(concepts: dict[str, Concept], term: str, key: str) -> None:
    found = C.find(concepts, term)
    assert found is not None and found.key == key


@pytest.mark.parametrize("term", ["kubelet port", "fargte", "", "   ", "namespace"])
def test_find_returns_none_without_an_exact_match(concepts: dict[str, Concept], term: str) -> None:
    assert C.find(concepts, term) is None


def test_a_key_wins_over_another_concepts_alias() -> None:
    first = Concept(key="alpha", name="Alpha", aliases=("beta",), explanation="x", why_it_matters="y", evidence=("e",))
    second = Concept(key="beta", name="Beta", explanation="x", why_it_matters="y", evidence=("e",))
    found = C.find({"alpha": first, "beta": second}, "beta")
    assert found is not None and found.key == "beta"


@pytest.mark.parametrize(
    ("term", "key"),
    [
        ("fargte", "fargate"),
        ("tsk definition", "ecs-task-definition"),
        ("seccomp profile", "seccomp-apparmor-selinux"),
        ("sock", "volumes-bind-mounts-docker-socket"),
        ("Gardduty", "runtime-monitoring"),
    ],
)
def test_suggest_offers_the_intended_concept_first(concepts: dict[str, Concept], term: str, key: str) -> None:
    hints = C.suggest(concepts, term)
    assert hints and hints[0] == key
    assert len(hints) <= 3


def test_an_ambiguous_word_suggests_both_meanings(concepts: dict[str, Concept]) -> None:
    hints = C.suggest(concepts, "namespace", n=5)
    assert {"linux-namespaces", "kubernetes-namespaces"} <= set(hints)


def test_nonsense_gets_no_suggestions_and_a_pointer_to_the_list(concepts: dict[str, Concept]) -> None:
    assert C.suggest(concepts, "qqzzxxv") == []
    assert "auditprep explain" in C.unknown_term_message(concepts, "qqzzxxv")
    assert "did you mean: fargate" in C.unknown_term_message(concepts, "fargte")


# --- terminal rendering ------------------------------------------------------------------------


def _squash(text: str) -> str:
    return " ".join(text.split())


def test_render_text_carries_every_part_of_the_concept(concepts: dict[str, Concept]) -> None:
    concept = concepts["image"]
    out = C.render_text(concept)
    flat = _squash(out)
    assert flat.startswith("Container image (image)")
    assert _squash(concept.explanation) in flat
    assert _squash(concept.why_it_matters) in flat
    for item in concept.evidence:
        assert _squash(item) in flat
    for framework, ids in concept.requirements.items():
        assert f"{C.FRAMEWORK_LABELS[framework]}: {', '.join(ids)}" in flat
    assert "Related: " + ", ".join(concept.related) in flat
    assert concept.diagram is not None and concept.diagram.title in out
    assert "Dockerfile" in out and "▼" in out
    assert "In this environment" not in out


@pytest.mark.parametrize("width", [40, 60, 80, 100])
def test_render_text_never_exceeds_the_width(concepts: dict[str, Concept], width: int) -> None:
    for concept in concepts.values():
        for env in (None, FARGATE_ONLY, EVERYTHING):
            too_long = [line for line in C.render_text(concept, width, env).splitlines() if len(line) > width]
            assert too_long == [], (concept.key, width)


def test_render_index_lists_every_concept_once(concepts: dict[str, Concept]) -> None:
    lines = C.render_index(concepts).splitlines()
    assert [line.split()[0] for line in lines if not line.startswith(" ")] == list(concepts)
    assert all(len(line) <= 80 for line in lines)


def _flow(*labels: str) -> Diagram:
    return Diagram(kind="flow", title="T", nodes=tuple(DiagramNode(label=text, detail="d") for text in labels))


def test_short_flow_runs_across_and_long_flow_runs_down() -> None:
    across = C.diagram_text(_flow("a", "b", "c"), 80)
    assert "──▶" in across and "▼" not in across
    down = C.diagram_text(_flow(*(f"step number {i}" for i in range(6))), 80)
    assert "▼" in down and "──▶" not in down
    assert down.count("┌") == 6
    assert all(len(line) <= 80 for line in down.splitlines())


def test_columns_render_as_an_aligned_table(concepts: dict[str, Concept]) -> None:
    diagram = concepts["shared-responsibility"].diagram
    assert diagram is not None
    for width in (50, 80, 120):
        table = [line for line in C.diagram_text(diagram, width).splitlines() if line and line[0] in "┌│├└"]
        assert len({len(line) for line in table}) == 1, width
        assert len(table[0]) <= width
    wide = C.diagram_text(diagram, 120)
    assert "│ Host OS and kernel patching" in wide and "Docker host on EC2" in wide


def test_terminal_diagram_drops_control_characters() -> None:
    out = C.diagram_text(_flow("ok\x1b[31mred", "b"), 80)
    assert "\x1b" not in out and "ok[31mred" in out


# --- SVG ---------------------------------------------------------------------------------------


def _assert_self_contained(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    lowered = svg.lower()
    for forbidden in ("href", "http", "<script", "url(", "@import", "<image", "<foreignobject", "<style"):
        assert forbidden not in lowered, forbidden
    return root


def test_every_library_diagram_is_a_self_contained_svg(concepts: dict[str, Concept]) -> None:
    for concept in concepts.values():
        if concept.diagram is None:
            continue
        root = _assert_self_contained(C.diagram_svg(concept.diagram))
        assert root.tag == "svg"
        texts = " ".join("".join(t.itertext()) for t in root.iter("text"))
        assert concept.diagram.title in texts
        assert float(root.get("width", "0")) <= 640, concept.key


def test_svg_escapes_hostile_labels() -> None:
    hostile = '<script>alert("x")</script> & <a href="http://evil">'
    diagram = Diagram(
        kind="flow",
        title='Title "quoted" <b>',
        nodes=(DiagramNode(label=hostile, detail="nul\x00byte"), DiagramNode(label="plain")),
    )
    svg = C.diagram_svg(diagram)
    assert "<script" not in svg and "<a " not in svg
    assert "&lt;script&gt;" in svg
    root = ET.fromstring(svg)
    assert root.find("title") is not None and root.find("title").text == 'Title "quoted" <b>'
    assert root.get("aria-label") == 'Title "quoted" <b>'
    texts = "".join("".join(t.itertext()) for t in root.iter("text"))
    assert "alert(" in texts and "nulbyte" in texts


def test_columns_svg_draws_every_cell(concepts: dict[str, Concept]) -> None:
    diagram = concepts["shared-responsibility"].diagram
    assert diagram is not None
    root = _assert_self_contained(C.diagram_svg(diagram))
    cells = len(diagram.columns) * (1 + len(diagram.columns[0]["rows"]))
    assert len(root.findall("rect")) == cells


def test_standalone_svg_declares_only_the_namespace(concepts: dict[str, Concept]) -> None:
    diagram = concepts["image"].diagram
    assert diagram is not None
    svg = C.diagram_svg(diagram, standalone=True)
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert svg.count("http") == 1 and "href" not in svg


# --- tailoring ---------------------------------------------------------------------------------


def test_fargate_only_says_aws_carries_the_host_layer(concepts: dict[str, Concept]) -> None:
    note = C.tailored_note(concepts["shared-responsibility"], FARGATE_ONLY)
    assert note is not None
    assert "Fargate only" in note and "AWS patches" in note
    for rid in ("11.5.1", "11.5.2", "6.3.3", "SI-4(23)", "SC-7(12)", "SI-2"):
        assert rid in note
    assert "image" in note and "task definitions" in note and "runtime monitoring" in note
    assert "team's requirements" not in note


def test_docker_hosts_make_the_host_layer_the_teams(concepts: dict[str, Concept]) -> None:
    note = C.tailored_note(concepts["shared-responsibility"], DOCKER_HOSTS)
    assert note is not None
    assert "Docker hosts" in note and "team's requirements" in note
    assert "11.5.1" in note and "SI-4(23)" in note
    assert "Fargate only" not in note
    assert note != C.tailored_note(concepts["shared-responsibility"], FARGATE_ONLY)


def test_ec2_container_instances_are_named_as_the_teams(concepts: dict[str, Concept]) -> None:
    note = C.tailored_note(concepts["host-node"], C.Environment(ec2_container_instances=True, eks=True))
    assert note is not None and "ECS or EKS hosts on EC2" in note and "team's requirements" in note


def test_mixed_estate_names_both_sides(concepts: dict[str, Concept]) -> None:
    note = C.tailored_note(concepts["fargate"], EVERYTHING)
    assert note is not None
    assert "team's requirements" in note and "inherit the host layer from AWS" in note
    assert "Swarm" in note


def test_runtime_monitoring_warns_about_eks_on_fargate(concepts: dict[str, Concept]) -> None:
    ecs_only = C.tailored_note(concepts["runtime-monitoring"], FARGATE_ONLY)
    with_eks = C.tailored_note(concepts["runtime-monitoring"], C.Environment(fargate=True, eks=True))
    assert ecs_only is not None and "sidecar" in ecs_only and "EKS pods" not in ecs_only
    assert with_eks is not None and "EKS pods on Fargate" in with_eks


def test_no_note_for_untailored_concepts_or_an_empty_environment(concepts: dict[str, Concept]) -> None:
    assert C.tailored_note(concepts["cgroups"], EVERYTHING) is None
    assert C.tailored_note(concepts["shared-responsibility"], C.Environment()) is None
    assert C.tailored_note(concepts["docker-swarm"], FARGATE_ONLY) is None
    assert C.tailored_note(concepts["eks-control-plane"], DOCKER_HOSTS) is None


def test_every_tailored_concept_says_something_somewhere(concepts: dict[str, Concept]) -> None:
    for key in C.TAILORED:
        assert key in concepts
        assert C.tailored_note(concepts[key], EVERYTHING), key


def test_render_text_includes_the_tailoring(concepts: dict[str, Concept]) -> None:
    out = _squash(C.render_text(concepts["ephemeral-forensics"], environment=FARGATE_ONLY))
    assert "In this environment" in out and "no host to snapshot" in out
    host_out = _squash(C.render_text(concepts["ephemeral-forensics"], environment=DOCKER_HOSTS))
    assert "snapshot its volumes" in host_out and "no host to snapshot" not in host_out


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ("what is a sidecar", "sidecar-daemonset"),
        ("What's a DaemonSet?", "sidecar-daemonset"),
        ("explain the docker socket", "volumes-bind-mounts-docker-socket"),
        ("digest", "tag-vs-digest"),
    ],
)
def test_a_question_that_identifies_one_concept_opens_it(query: str, key: str) -> None:
    from auditprep.concepts import lookup

    concept, choices = lookup(load_catalog().concepts, query)
    assert concept is not None and concept.key == key, choices


def test_an_ambiguous_word_lists_the_choices_and_nonsense_lists_none() -> None:
    from auditprep.concepts import lookup

    concepts = load_catalog().concepts
    concept, choices = lookup(concepts, "network")
    assert concept is None and len(choices) >= 2
    assert lookup(concepts, "xyzzy") == (None, [])
