"""ACM: every certificate's validity window, status and whether it is in use.

``ListCertificates`` is asked for every key type (by default it returns only RSA 1024/2048).
"""

from __future__ import annotations

from auditprep.collect.aws.runtime import ApiFailure, RegionContext
from auditprep.collect.aws.shared import Shared

CERTIFICATE = "aws.acm.certificate"
_KEY_TYPES = ["RSA_1024", "RSA_2048", "RSA_3072", "RSA_4096", "EC_prime256v1", "EC_secp384r1", "EC_secp521r1"]


def collect(ctx: RegionContext, shared: Shared) -> None:
    try:
        certs = ctx.collect_all(
            "acm",
            "ListCertificates",
            "CertificateSummaryList",
            Includes={"keyTypes": _KEY_TYPES},
            PaginationConfig={"PageSize": 1000},
        )
    except ApiFailure as f:
        ctx.attempt(CERTIFICATE, "acm:ListCertificates", failure=f)
        return
    for cert in certs:
        ctx.item(CERTIFICATE, "acm:ListCertificates", cert["CertificateArn"], cert, name=cert.get("DomainName", ""))
    ctx.attempt(CERTIFICATE, "acm:ListCertificates", count=len(certs))
