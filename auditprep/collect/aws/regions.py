"""The AWS region names botocore knows, in every partition, without a network call."""

from __future__ import annotations

from functools import cache


@cache
def known_regions() -> frozenset[str]:
    import botocore.session

    session = botocore.session.get_session()
    names: set[str] = set()
    for partition in session.get_available_partitions():
        names.update(session.get_available_regions("ec2", partition_name=partition))
    return frozenset(names)
