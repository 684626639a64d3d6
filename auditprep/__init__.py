"""auditprep: container compliance evidence and narratives for PCI DSS, HIPAA, HITRUST and FedRAMP audits."""

__version__ = "0.1.0"
