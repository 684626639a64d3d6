"""The AWS evidence collector: the only package that imports boto3 and botocore.

``collect_aws`` gathers container-relevant configuration read-only; ``iam_policy`` is the minimal
policy for exactly the operations it may call (``OPERATIONS``).
"""

from auditprep.collect.aws.collector import collect_aws
from auditprep.collect.aws.operations import OPERATIONS, iam_policy

__all__ = ["OPERATIONS", "collect_aws", "iam_policy"]
