"""Evidence packages: export an engagement for an assessor, verify it, and open it safely.

``export_package`` writes the zip; ``verify_target`` checks a package or an engagement file and
says what was altered; ``open_package`` extracts an untrusted package into a private folder for
read-only review. Importing this package does nothing but define them.
"""

from auditprep.package.errors import PackageAltered, PackageError
from auditprep.package.export import ExportResult, PdfRenderer, export_package, report_pdf
from auditprep.package.reader import DEFAULT_LIMITS, Limits, OpenedPackage, open_package
from auditprep.package.verify import VerifyReport, engagement_schema_problem, verify_target

__all__ = [
    "DEFAULT_LIMITS",
    "ExportResult",
    "Limits",
    "OpenedPackage",
    "PackageAltered",
    "PackageError",
    "PdfRenderer",
    "VerifyReport",
    "engagement_schema_problem",
    "export_package",
    "open_package",
    "report_pdf",
    "verify_target",
]
