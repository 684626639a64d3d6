"""The playbook's commands, drafted for the demo engagement: correct, read-only where they capture,
secret-safe, and printed so they can be copied (never broken mid-flag in the PDF).

AWS CLI commands are checked against botocore's own service models (the ones the AWS CLI is
generated from); docker commands against the installed docker CLI's help.
"""

from __future__ import annotations

import html as htmlmod
import re
import shutil
import subprocess

import botocore.session
import pytest
from botocore import xform_name
from pypdf import PdfReader

from auditprep.report import html_of
from auditprep.report.playbook import build_playbook
from auditprep.store import Engagement

AWS_GLOBAL = {"--region", "--query", "--output", "--profile"}
# what a capture step may do: read, list, look up, or take a copy (snapshot, export); task
# protection only keeps the task from being replaced
AWS_CAPTURE = re.compile(
    r"^(describe|list|get|lookup|filter)-|^(create-snapshot|create-export-task|update-task-protection)$"
)
DOCKER_CAPTURE = {
    "inspect",
    "top",
    "diff",
    "logs",
    "export",
    "events",
    "ps",
    "pause",
    "commit",
    "image inspect",
    "image ls",
    "service inspect",
    "service ps",
    "node ls",
}


@pytest.fixture(scope="module")
def drafted(demo):
    with Engagement.open(demo.path, readonly=True) as eng:
        page = html_of(build_playbook(eng, demo.catalog), demo.catalog, "pdf")
    return page, demo.pdf("playbook")


def _blocks(page: str, section: str | None = None) -> list[str]:
    if section is not None:
        start = page.index(f'<section id="{section}">')
        page = page[start : page.index("</section>", start)]
    return [htmlmod.unescape(b) for b in re.findall(r'<pre class="cmd">(.*?)</pre>', page, flags=re.S)]


def _commands(block: str) -> list[str]:
    """Shell commands of a block, continuation lines joined."""
    return [c.strip() for c in block.replace("\\\n", " ").splitlines() if c.strip() and not c.startswith("#")]


def _flags(cmd: str) -> list[str]:
    cmd = re.sub(r"'[^']*'|\"[^\"]*\"", "ARG", cmd)
    return [t.split("=", 1)[0] for t in cmd.split() if t.startswith("--")]


def test_every_command_line_prints_whole_in_the_pdf(drafted) -> None:
    page, pdf = drafted
    lines = {line.rstrip() for b in _blocks(page) for line in b.splitlines() if line.strip()}
    assert len(lines) > 40
    # each line fits the code box (shell continuations split longer commands), one command a line
    assert [line for line in lines if len(line) > 100] == []
    assert [line for line in lines if len(re.findall(r"(?:^|\s)(?:aws|docker|kubectl) ", line)) > 1] == []
    text = "\n".join(p.extract_text() for p in PdfReader(pdf).pages)
    printed = {re.sub(r"\s+", " ", line).strip() for line in text.splitlines()}
    broken = [line for line in lines if re.sub(r"\s+", " ", line).strip() not in printed]
    assert broken == [], broken[:5]


def test_aws_commands_exist_in_the_aws_cli_with_those_options(drafted) -> None:
    page, _ = drafted
    session = botocore.session.get_session()
    checked = 0
    for block in _blocks(page):
        for cmd in _commands(block):
            if not cmd.startswith("aws "):
                continue
            _, service, op, *_ = cmd.split()
            model = session.get_service_model({"elbv2": "elbv2", "logs": "logs"}.get(service, service))
            ops = {xform_name(name, "-"): name for name in model.operation_names}
            assert op in ops, cmd
            shape = model.operation_model(ops[op]).input_shape
            members = shape.members if shape else {}
            options = {"--" + xform_name(m, "-") for m in members}
            options |= {"--no-" + xform_name(m, "-") for m, s in members.items() if s.type_name == "boolean"}
            for flag in _flags(cmd):
                assert flag in options | AWS_GLOBAL, (cmd, flag)
            required = {"--" + xform_name(m, "-") for m in (shape.required_members if shape else [])}
            assert required <= set(_flags(cmd)), (cmd, required - set(_flags(cmd)))
            checked += 1
    assert checked >= 20


def test_capture_steps_only_read_or_capture_and_never_print_a_secret(drafted) -> None:
    page, _ = drafted
    checked = 0
    for section in ("detect", "preserve"):
        for block in _blocks(page, section):
            for cmd in _commands(block):
                words = cmd.split()
                if re.fullmatch(r"[A-Z_]+='[^']*'", cmd):  # a shell variable holding a filter
                    continue
                if words[0] == "aws":
                    assert AWS_CAPTURE.search(words[2]), cmd
                elif words[0] == "docker":
                    sub = " ".join(words[1:3]) if " ".join(words[1:3]) in DOCKER_CAPTURE else words[1]
                    assert sub in DOCKER_CAPTURE, cmd
                else:
                    assert words[0] in {"kubectl", "sha256sum", "sudo"} and words[1] in {
                        "get",
                        "describe",
                        "logs",
                        "avml",
                    } | {w for w in words[1:2] if words[0] == "sha256sum"}, cmd
                # what can hold an environment value goes to a file, never to the terminal
                if re.search(
                    r"describe-task-definition|describe-tasks|docker inspect|kubectl get pod|docker logs", cmd
                ):
                    assert " > " in cmd, cmd
                checked += 1
    assert checked >= 30
    assert "docker exec" not in page and "get-secret-value" not in page and "printenv" not in page


@pytest.mark.docker
def test_docker_commands_use_options_the_docker_cli_has(drafted) -> None:
    if shutil.which("docker") is None:
        pytest.skip("the docker CLI is not installed on this machine (tests/run.sh installs docker.io as root)")
    page, _ = drafted
    helps: dict[str, str] = {}
    checked = 0
    for block in _blocks(page):
        for cmd in _commands(block):
            words = cmd.split()
            if words[0] != "docker":
                continue
            sub = words[1:3] if words[1] in {"image", "service", "node", "network"} else words[1:2]
            key = " ".join(sub)
            if key not in helps:
                helps[key] = subprocess.run(
                    ["docker", *sub, "--help"], capture_output=True, text=True, timeout=30, check=True
                ).stdout
            assert helps[key].startswith("\nUsage:") or "Usage:" in helps[key], key
            for flag in _flags(cmd):
                assert re.search(rf"(^|\s|,){re.escape(flag)}\b", helps[key]), (cmd, flag)
            checked += 1
    assert checked >= 10
