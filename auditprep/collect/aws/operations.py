"""The single declared list of AWS operations the collector may invoke, and the IAM policy built from it.

Every client the collector creates refuses any operation missing from ``OPERATIONS`` (see
``runtime``), so this list is both the read-only guarantee and the source of the minimal policy
that ``auditprep aws-policy`` prints: they cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# botocore client name -> IAM action prefix, where they differ
_IAM_PREFIX = {"elbv2": "elasticloadbalancing"}


@dataclass(frozen=True)
class Operation:
    service: str  # botocore client name, e.g. "ecs"
    name: str  # API operation name, e.g. "DescribeTaskDefinition"
    why: str

    @property
    def action(self) -> str:
        """The IAM action that authorises this call, e.g. ``ecs:DescribeTaskDefinition``."""
        return f"{_IAM_PREFIX.get(self.service, self.service)}:{self.name}"


OPERATIONS: tuple[Operation, ...] = (
    Operation("sts", "GetCallerIdentity", "who collected the evidence (provenance)"),
    Operation("ec2", "DescribeRegions", "which regions are enabled for the account"),
    # ECS
    Operation("ecs", "ListClusters", "ECS clusters"),
    Operation("ecs", "DescribeClusters", "Container Insights and ECS Exec settings"),
    Operation("ecs", "ListServices", "ECS services"),
    Operation("ecs", "DescribeServices", "launch type, platform version, public IP, ECS Exec"),
    Operation("ecs", "ListTaskDefinitionFamilies", "latest revision of each task definition family"),
    Operation("ecs", "DescribeTaskDefinition", "container security settings"),
    # EKS
    Operation("eks", "ListClusters", "EKS clusters"),
    Operation("eks", "DescribeCluster", "endpoint access, logging, secrets encryption"),
    Operation("eks", "DescribeClusterVersions", "Kubernetes version support status"),
    Operation("eks", "ListNodegroups", "managed node groups"),
    Operation("eks", "DescribeNodegroup", "node AMI type and version"),
    # ECR
    Operation("ecr", "GetRegistryScanningConfiguration", "basic or enhanced scanning rules"),
    Operation("ecr", "BatchGetRepositoryScanningConfiguration", "effective scan frequency per repository"),
    Operation("ecr", "DescribeRepositories", "tag immutability and encryption"),
    Operation("ecr", "GetLifecyclePolicy", "stale image pruning"),
    Operation("ecr", "DescribeImages", "image digests, tags, push dates, scan summaries"),
    Operation("ecr", "DescribeImageScanFindings", "scan status of images in use when not summarised"),
    # Inspector, GuardDuty, Security Hub CSPM, Config
    Operation("inspector2", "BatchGetAccountStatus", "Inspector scanning status for ECR and EC2"),
    Operation("inspector2", "ListFindings", "open vulnerabilities of images in use"),
    Operation("guardduty", "ListDetectors", "GuardDuty detector per region"),
    Operation("guardduty", "GetDetector", "GuardDuty protection features"),
    Operation("securityhub", "DescribeHub", "Security Hub CSPM enabled"),
    Operation("securityhub", "GetEnabledStandards", "standards subscribed"),
    Operation("config", "DescribeConfigurationRecorders", "AWS Config recording scope"),
    Operation("config", "DescribeConfigurationRecorderStatus", "AWS Config recording state"),
    # Logging
    Operation("cloudtrail", "DescribeTrails", "trails covering each region"),
    Operation("cloudtrail", "GetTrailStatus", "whether each trail is logging"),
    Operation("cloudtrail", "GetEventSelectors", "whether management events are recorded"),
    Operation("cloudtrail", "LookupEvents", "container events of the last 90 days: what ran in the period"),
    Operation("config", "ListDiscoveredResources", "ECS task definitions and services AWS Config recorded"),
    Operation("config", "GetResourceConfigHistory", "when each recorded ECS resource changed"),
    Operation("logs", "DescribeLogGroups", "retention and encryption of container and cluster logs"),
    # TLS
    Operation("elbv2", "DescribeLoadBalancers", "load balancers"),
    Operation("elbv2", "DescribeListeners", "listener protocols, policies and redirects"),
    Operation("elbv2", "DescribeRules", "what plain HTTP listener rules forward or redirect"),
    Operation("elbv2", "DescribeSSLPolicies", "TLS protocol versions each policy allows"),
    Operation("acm", "ListCertificates", "certificate expiry and use"),
    # Keys
    Operation("kms", "DescribeKey", "who manages each key the services use"),
    Operation("kms", "GetKeyRotationStatus", "automatic rotation of customer keys"),
)

# Obtaining credentials for --role-arn is not a read of the audited account, so it is not in the
# read policy; the identity that assumes the roles needs it on exactly those role ARNs.
ASSUME_ROLE = Operation("sts", "AssumeRole", "read other accounts through --role-arn or --org-role")

# With --org-role, the organisation's accounts are listed from the management account (or a
# delegated administrator); these reads are added to the policy only then.
ORGANIZATIONS: tuple[Operation, ...] = (
    Operation("organizations", "ListAccounts", "the organisation's accounts (--org-role)"),
    Operation("organizations", "ListAccountsForParent", "the accounts of each OU given with --ou"),
    Operation("organizations", "ListChildren", "the OUs below each OU given with --ou"),
)

_BY_KEY = {(op.service, op.name): op for op in (*OPERATIONS, *ORGANIZATIONS)}


def declared(service: str, name: str) -> Operation | None:
    return _BY_KEY.get((service, name))


def action(service: str, name: str) -> str:
    op = declared(service, name)
    return op.action if op else f"{_IAM_PREFIX.get(service, service)}:{name}"


def iam_policy(role_arns: Iterable[str] = (), org_role: str | None = None) -> dict[str, Any]:
    """The minimal read-only IAM policy for exactly the operations the collector uses.

    ``role_arns``: when given, a second statement lets the collecting identity assume those roles.
    ``org_role``: the role name assumed in every account of the organisation (``--org-role``):
    adds the Organizations reads and assuming that role name in any account.
    """
    actions = sorted({op.action for op in (*OPERATIONS, *(ORGANIZATIONS if org_role else ()))})
    statements: list[dict[str, Any]] = [
        {
            "Sid": "AuditprepReadOnlyEvidence",
            "Effect": "Allow",
            "Action": actions,
            "Resource": "*",
        }
    ]
    roles = sorted(set(role_arns))
    if org_role:
        roles.append(f"arn:aws:iam::*:role/{org_role.split(':role/', 1)[-1]}")
    if roles:
        statements.append(
            {"Sid": "AuditprepAssumeAuditRoles", "Effect": "Allow", "Action": [ASSUME_ROLE.action], "Resource": roles}
        )
    return {"Version": "2012-10-17", "Statement": statements}
