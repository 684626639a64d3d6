"""Bad or foreign files: one clear error naming the record, and nothing stored from a file that fails."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditprep.application.importing import import_results
from auditprep.catalog import Catalog
from auditprep.errors import InvalidInput
from auditprep.imports import ImportFileError
from auditprep.store import Engagement


def _edit(samples: Path, name: str, tmp_path: Path, change) -> Path:
    data = json.loads((samples / name).read_text())
    change(data)
    out = tmp_path / name
    out.write_text(json.dumps(data))
    return out


def _refused(engagement: Engagement, catalog: Catalog, path: Path, fmt: str, match: str) -> ImportFileError:
    before = (engagement.fingerprint(), engagement.evidence_count(), len(engagement.runs()))
    with pytest.raises(ImportFileError, match=match) as err:
        import_results(engagement, catalog, path, fmt, "ana")
    assert err.value.exit_code == 2 and "\n" not in err.value.message
    assert (engagement.fingerprint(), engagement.evidence_count(), len(engagement.runs())) == before
    return err.value


def test_a_bad_prowler_record_is_named_and_nothing_is_stored(
    engagement: Engagement, catalog: Catalog, samples: Path, tmp_path: Path
) -> None:
    def bad_status(data: list) -> None:
        data[3]["status_code"] = "OK"

    err = _refused(
        engagement,
        catalog,
        _edit(samples, "prowler.ocsf.json", tmp_path, bad_status),
        "prowler-ocsf",
        r"record 3 \(prowler-aws-ecr_repositories_tag_immutability-111111111111-eu-west-1-payments\): "
        r"field 'status_code' is invalid",
    )
    assert err.message.endswith("nothing was imported from this file.")

    def no_check_id(data: list) -> None:
        del data[5]["metadata"]["event_code"]

    _refused(
        engagement,
        catalog,
        _edit(samples, "prowler.ocsf.json", tmp_path, no_check_id),
        "prowler-ocsf",
        r"record 5 \(.*guardduty.*\): required field 'metadata.event_code' is missing",
    )

    def other_product(data: list) -> None:
        data[0]["metadata"]["product"]["name"] = "SomeScanner"

    _refused(
        engagement,
        catalog,
        _edit(samples, "prowler.ocsf.json", tmp_path, other_product),
        "prowler-ocsf",
        "record 0 .*written by 'SomeScanner', not by Prowler",
    )


def test_foreign_files_say_what_they_look_like(engagement: Engagement, catalog: Catalog, samples: Path) -> None:
    _refused(engagement, catalog, samples / "securityhub.asff.json", "prowler-ocsf", r"looks like ASFF.*--format asff")
    _refused(
        engagement, catalog, samples / "trivy-web.json", "asff", r"looks like a Trivy report \(use --format trivy\)"
    )
    _refused(engagement, catalog, samples / "prowler.ocsf.json", "trivy", r"looks like OCSF findings")


def test_a_bad_trivy_vulnerability_is_named(
    engagement: Engagement, catalog: Catalog, samples: Path, tmp_path: Path
) -> None:
    def bad_severity(data: dict) -> None:
        data["Results"][0]["Vulnerabilities"][2]["Severity"] = "SEVERE"

    _refused(
        engagement,
        catalog,
        _edit(samples, "trivy-payments.json", tmp_path, bad_severity),
        "trivy",
        r"Results\[0\]\.Vulnerabilities\[2\] \(CVE-2026-10003\): field 'Severity' is invalid",
    )

    def filesystem(data: dict) -> None:
        data["ArtifactType"] = "filesystem"

    _refused(
        engagement,
        catalog,
        _edit(samples, "trivy-payments.json", tmp_path, filesystem),
        "trivy",
        "scans a filesystem artifact; only container image reports are imported",
    )

    def old_schema(data: dict) -> None:
        data["SchemaVersion"] = 1

    _refused(
        engagement,
        catalog,
        _edit(samples, "trivy-payments.json", tmp_path, old_schema),
        "trivy",
        "field 'SchemaVersion' is invalid",
    )


def test_a_bad_asff_finding_is_named(engagement: Engagement, catalog: Catalog, samples: Path, tmp_path: Path) -> None:
    def no_resources(data: dict) -> None:
        data["Findings"][2]["Resources"] = []

    _refused(
        engagement,
        catalog,
        _edit(samples, "securityhub.asff.json", tmp_path, no_resources),
        "asff",
        r"Findings\[2\] \(arn:aws:guardduty:eu-west-1:111111111111:detector/abc/finding/0003\): field 'Resources' is invalid",
    )

    def bad_compliance(data: dict) -> None:
        data["Findings"][0]["Compliance"]["Status"] = "MAYBE"

    _refused(
        engagement,
        catalog,
        _edit(samples, "securityhub.asff.json", tmp_path, bad_compliance),
        "asff",
        r"Findings\[0\] .*field 'Compliance.Status' is invalid",
    )


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"", "is empty"),
        (b"   \n", "is empty"),
        (b"[1, 2", r"is not valid JSON \(line 1, column 6"),
        (b"\xff\xfe\x00[", "is not UTF-8 text"),
        (b'[{"x": NaN}]', "contains NaN"),
        (b"[]", "holds no findings"),
        (b"[42]", "record 0: it is not a JSON object"),
    ],
)
def test_unreadable_files(engagement: Engagement, catalog: Catalog, tmp_path: Path, content: bytes, why: str) -> None:
    path = tmp_path / "results.json"
    path.write_bytes(content)
    _refused(engagement, catalog, path, "prowler-ocsf", why)


def test_missing_file_and_unknown_format(
    engagement: Engagement, catalog: Catalog, samples: Path, tmp_path: Path
) -> None:
    _refused(engagement, catalog, tmp_path / "nope.json", "trivy", "does not exist")
    _refused(engagement, catalog, tmp_path, "trivy", "is a folder")
    with pytest.raises(InvalidInput, match="'grype' is not an import format; use one of prowler-ocsf, trivy, asff"):
        import_results(engagement, catalog, samples / "trivy-web.json", "grype", "ana")
