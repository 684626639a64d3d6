"""Checks on each image: build settings, secrets in its history, OS support, known-bad packages, age.

The package and OS checks read the inventory taken from the image's own filesystem and compare
it with the small bundled advisory list; their messages say plainly that this is not a full
vulnerability scan.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from auditprep.checks.docker import advisories
from auditprep.checks.docker.common import (
    FAIL,
    PASS,
    WARN,
    get,
    image_label,
    is_root_user,
    join,
    not_shown,
    parse_time,
    result,
)
from auditprep.checks.docker.operations import env_entries
from auditprep.checks.engine import EvidenceView, Result, check
from auditprep.collect.redact import REDACTED

ABSENT = "no images on the host"
AGE_WARN = timedelta(days=90)
AGE_FAIL = timedelta(days=365)
EOL_SOON = timedelta(days=90)


def _shorten(text: str, limit: int = 100) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


@check("docker.image.user", requires=["docker.image"], absent=ABSENT)
def user(view: EvidenceView) -> Iterator[Result]:
    for ev in view.items("docker.image"):
        configured = str(get(ev.data, "Config", "User", default="") or "")
        if is_root_user(configured):
            why = f"its USER is '{configured}'" if configured else "it sets no USER"
            yield result(FAIL, ev, f"{image_label(ev)} runs containers as root by default ({why}).")
        else:
            yield result(PASS, ev, f"{image_label(ev)} runs containers as the non-root user '{configured}' by default.")


@check("docker.image.healthcheck", requires=["docker.image"], absent=ABSENT)
def healthcheck(view: EvidenceView) -> Iterator[Result]:
    for ev in view.items("docker.image"):
        test = get(ev.data, "Config", "Healthcheck", "Test")
        if isinstance(test, list) and test and test[0] != "NONE":
            yield result(PASS, ev, f"{image_label(ev)} defines a HEALTHCHECK.")
        else:
            yield result(
                FAIL,
                ev,
                f"{image_label(ev)} defines no HEALTHCHECK, so containers from it report no health by default.",
            )


@check("docker.image.history_secrets", requires=["docker.image"], absent=ABSENT)
def history_secrets(view: EvidenceView) -> Iterator[Result]:
    for ev in view.items("docker.image"):
        history = get(ev.data, "History", default=[]) or []
        steps = [
            _shorten(str(entry.get("CreatedBy", "")) or str(entry.get("Comment", "")))
            for entry in history
            if isinstance(entry, dict) and REDACTED in str(entry.get("CreatedBy", "")) + str(entry.get("Comment", ""))
        ]
        names = [n for n, secret in env_entries(get(ev.data, "Config", "Env")) if secret]
        if steps or names:
            parts = []
            if steps:
                parts.append(
                    f"its history records secret-looking values (redacted in the evidence) in {join([repr(s) for s in steps])}"
                )
            if names:
                parts.append(f"its environment defines secret-looking variables ({join(names)})")
            yield result(
                FAIL,
                ev,
                f"{image_label(ev)} has secrets baked in: {'; '.join(parts)}. Anyone who can pull the image can read them; "
                "rotate them and pass secrets at run time or with build secrets.",
            )
        else:
            yield result(
                PASS,
                ev,
                f"{image_label(ev)} shows no secret-looking values in its {len(history)} history entries or environment names.",
            )


@check("docker.image.os_eol", requires=["docker.image_inventory"], absent=ABSENT)
def os_eol(view: EvidenceView) -> Iterator[Result]:
    known = advisories.bundled()
    for ev in view.items("docker.image_inventory"):
        osr = ev.data.get("os") or {}
        if not osr:
            yield result(
                WARN,
                ev,
                f"{image_label(ev)} has no os-release file, so its operating system and its support status are unknown "
                "(expected for scratch or single-binary images; otherwise check the base image).",
            )
            continue
        pretty = osr.get("PRETTY_NAME") or f"{osr.get('ID', '?')} {osr.get('VERSION_ID', '')}".strip()
        support = advisories.support_of(osr, known)
        today = ev.collected_at.date()
        if not support.known or support.eol is None:
            listed = join(sorted(d.name for d in known.end_of_life))
            yield result(
                WARN,
                ev,
                f"{image_label(ev)} is based on {pretty}, which the bundled end-of-life list does not cover (it lists {listed}); "
                "confirm the release still receives security updates.",
            )
            continue
        note = f" ({support.note})" if support.note else ""
        if support.eol < today:
            when = (
                f"{support.note}, which reached end of life on {support.eol.isoformat()}"
                if support.note.startswith("older than")
                else f"end of life since {support.eol.isoformat()}{note}"
            )
            yield result(
                FAIL,
                ev,
                f"{image_label(ev)} is based on {pretty}, {when}: its packages no longer get security fixes. Rebuild on a "
                "supported base image.",
            )
        elif support.eol - today <= EOL_SOON:
            yield result(
                WARN,
                ev,
                f"{image_label(ev)} is based on {pretty}, which reaches end of life on {support.eol.isoformat()}{note}; plan the "
                "move to a newer base image.",
            )
        else:
            yield result(
                PASS,
                ev,
                f"{image_label(ev)} is based on {pretty}, supported until {support.eol.isoformat()}{note}.",
            )


@check("docker.image.vulnerable_packages", requires=["docker.image_inventory"], absent=ABSENT)
def vulnerable_packages(view: EvidenceView) -> Iterator[Result]:
    known = advisories.bundled()
    covered = join([f"{a.id} ({a.name})" for a in known.packages])
    for ev in view.items("docker.image_inventory"):
        pkgs = ev.data.get("packages") or []
        if any(not isinstance(p, dict) or not all(p.get(k) for k in ("name", "version", "manager")) for p in pkgs):
            yield not_shown(ev, image_label(ev), "the name, version or manager of an installed package")
            continue
        managers = ev.data.get("package_managers") or []
        hits = advisories.package_hits(ev.data, known)
        bad = [h for h in hits if h.fixed_build is None]
        fixed = [h for h in hits if h.fixed_build is not None]
        if bad:
            lines = join(
                [
                    f"{h.package['name']} {h.package['version']} ({h.package['manager']}) is affected by {h.advisory.id} "
                    f"({h.advisory.name})"
                    for h in bad
                ]
            )
            yield result(
                FAIL,
                ev,
                f"{image_label(ev)} contains known-vulnerable packages: {lines}. Unless the distribution backported the fix into "
                f"this exact build, rebuild the image on a patched base and redeploy. {advisories.NOT_A_SCANNER}",
            )
        elif not pkgs:
            notes = "; ".join(ev.data.get("notes") or []) or "no package database was found"
            yield result(
                WARN,
                ev,
                f"{image_label(ev)} yielded no package list ({notes}), so it could not be compared with known-vulnerable "
                f"versions. {advisories.NOT_A_SCANNER}",
            )
        else:
            backported = (
                " Known fixed distribution builds: "
                + join(
                    [
                        f"{h.package['name']} {h.package['version']} ({h.fixed_build.advisory or 'distribution fix'})"
                        for h in fixed
                        if h.fixed_build
                    ]
                )
                + "."
                if fixed
                else ""
            )
            yield result(
                PASS,
                ev,
                f"{image_label(ev)}: none of its {len(pkgs)} {'/'.join(managers)} packages is in the bundled advisory list "
                f"({covered}).{backported} {advisories.NOT_A_SCANNER}",
            )


@check("docker.image.age", requires=["docker.image"], absent=ABSENT)
def age(view: EvidenceView) -> Iterator[Result]:
    for ev in view.items("docker.image"):
        created = parse_time(get(ev.data, "Created"))
        if created is None or created.year < 2000:
            yield result(
                WARN,
                ev,
                f"{image_label(ev)} carries no real build time (reproducible builds fix it, e.g. to 1970), so its age must be "
                "shown from the build pipeline's records.",
            )
            continue
        days = (ev.collected_at - created).days
        when = f"built on {created.date().isoformat()}, {days} days before collection"
        if days > AGE_FAIL.days:
            yield result(
                FAIL,
                ev,
                f"{image_label(ev)} was {when}: more than a year without a rebuild means a year of missed base-image patches.",
            )
        elif days > AGE_WARN.days:
            yield result(
                WARN, ev, f"{image_label(ev)} was {when}; rebuild it regularly so base-image patches reach it."
            )
        else:
            yield result(PASS, ev, f"{image_label(ev)} was {when}.")
