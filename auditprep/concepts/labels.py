"""How each framework is named to a reader."""

FRAMEWORK_LABELS = {
    "pci-dss": "PCI DSS v4.0.1",
    "hipaa": "HIPAA Security Rule",
    "hitrust": "HITRUST CSF v11",
    "fedramp-moderate": "FedRAMP Moderate (NIST SP 800-53 r5)",
    "fedramp-20x": "FedRAMP 20x (Key Security Indicators)",
}
