"""Version ordering for package and runtime versions, as the package managers define it.

dpkg and rpm disagree on details (dpkg's ``~`` sorts before everything, rpm splits on every
non-alphanumeric character), so a distribution build is compared with its own manager's rule.
Upstream versions (``1.0.1f``, ``1.1.12``) are compared with dpkg's rule, which orders letters
after nothing (``1.0.1`` < ``1.0.1a`` < ``1.0.1f``) and treats ``~`` as a pre-release.
"""

from __future__ import annotations

import re
from functools import cmp_to_key


def _order(c: str) -> int:
    if c.isdigit():
        return 0
    if c.isalpha():
        return ord(c)
    if c == "~":
        return -1
    return ord(c) + 256


def _verrevcmp(a: str, b: str) -> int:
    i = j = 0
    while i < len(a) or j < len(b):
        first_diff = 0
        while (i < len(a) and not a[i].isdigit()) or (j < len(b) and not b[j].isdigit()):
            ac = _order(a[i]) if i < len(a) else 0
            bc = _order(b[j]) if j < len(b) else 0
            if ac != bc:
                return ac - bc
            i += 1
            j += 1
        while i < len(a) and a[i] == "0":
            i += 1
        while j < len(b) and b[j] == "0":
            j += 1
        while i < len(a) and a[i].isdigit() and j < len(b) and b[j].isdigit():
            if not first_diff:
                first_diff = ord(a[i]) - ord(b[j])
            i += 1
            j += 1
        if i < len(a) and a[i].isdigit():
            return 1
        if j < len(b) and b[j].isdigit():
            return -1
        if first_diff:
            return first_diff
    return 0


def _split_epoch(v: str) -> tuple[int, str]:
    head, sep, rest = v.partition(":")
    if sep and head.isdigit():
        return int(head), rest
    return 0, v


def dpkg_compare(a: str, b: str) -> int:
    """Debian version comparison: epoch, then upstream, then revision."""
    ea, ra = _split_epoch(a)
    eb, rb = _split_epoch(b)
    if ea != eb:
        return ea - eb
    ua, _, va = ra.rpartition("-") if "-" in ra else (ra, "", "")
    ub, _, vb = rb.rpartition("-") if "-" in rb else (rb, "", "")
    return _verrevcmp(ua, ub) or _verrevcmp(va, vb)


_RPM_SEGMENT = re.compile(r"(\d+|[A-Za-z]+|~|\^)")


def _rpmvercmp(a: str, b: str) -> int:
    if a == b:
        return 0
    sa = _RPM_SEGMENT.findall(a)
    sb = _RPM_SEGMENT.findall(b)
    while sa and sb:
        x, y = sa.pop(0), sb.pop(0)
        if x == "~" or y == "~":
            if x != y:
                return -1 if x == "~" else 1
            continue
        if x == "^" or y == "^":
            if x != y:
                return 1 if x == "^" else -1
            continue
        if x.isdigit() != y.isdigit():
            return 1 if x.isdigit() else -1
        if x.isdigit():
            diff = int(x) - int(y)
            if diff:
                return 1 if diff > 0 else -1
        elif x != y:
            return 1 if x > y else -1
    if sa and sa[0] == "~":
        return -1
    if sb and sb[0] == "~":
        return 1
    return (len(sa) > 0) - (len(sb) > 0)


def rpm_compare(a: str, b: str) -> int:
    """rpm's EVR comparison for ``[epoch:]version-release``."""
    ea, ra = _split_epoch(a)
    eb, rb = _split_epoch(b)
    if ea != eb:
        return ea - eb
    va, _, la = ra.rpartition("-") if "-" in ra else (ra, "", "")
    vb, _, lb = rb.rpartition("-") if "-" in rb else (rb, "", "")
    return _rpmvercmp(va, vb) or _rpmvercmp(la, lb)


def upstream_compare(a: str, b: str) -> int:
    return _verrevcmp(a, b)


upstream_key = cmp_to_key(upstream_compare)


def compare(manager: str, a: str, b: str) -> int:
    return rpm_compare(a, b) if manager == "rpm" else dpkg_compare(a, b)


def upstream_of(manager: str, version: str) -> str:
    """The upstream version inside a distribution package version (``1.0.1e-2+deb7u5`` -> ``1.0.1e``)."""
    _, rest = _split_epoch(version)
    if manager == "apk":
        rest = re.sub(r"-r\d+$", "", rest)
    elif "-" in rest:
        rest = rest.rsplit("-", 1)[0]
    if "+really" in rest:  # Debian's way of shipping an older upstream under a newer version number
        rest = rest.split("+really", 1)[1]
    return re.split(r"[+~]", rest, maxsplit=1)[0]


_DISTRO_BUILD = re.compile(r"(\+ds|\+dfsg|~ds|deb\d|ubuntu|\.el\d|amzn|\.fc\d|\.azl|\.cm\d)", re.IGNORECASE)


def runtime_upstream(version: str) -> str:
    """``1.1.5+ds1`` -> ``1.1.5``; ``v1.1.12`` -> ``1.1.12``; ``1.0.0-rc93`` -> ``1.0.0~rc93`` (a pre-release)."""
    v = version.strip().lstrip("v")
    v = re.sub(r"-(rc|alpha|beta)", r"~\1", v)
    v = re.split(r"\+|~ds|~dfsg", v, maxsplit=1)[0]
    return re.sub(r"-\d.*$", "", v)


def is_distribution_build(*texts: str) -> bool:
    """Does a runtime version string carry a distribution's packaging suffix (fix may be backported)?"""
    return any(_DISTRO_BUILD.search(t or "") for t in texts)
