"""The organisation as scope: the active accounts AWS Organizations lists, filtered as asked.

Read from the management account or a delegated administrator: ``ListAccounts`` for the whole
organisation, or, with OU filters, ``ListAccountsForParent`` for each OU and (through
``ListChildren``) every OU below it. Suspended and closing accounts are left out and said so;
the listing itself is evidence, so which accounts were in scope is traceable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from auditprep.collect.aws.runtime import Account, ApiFailure, classify, request_id
from auditprep.collect.base import Recorder
from auditprep.models import CallStatus, Scope

ACCOUNTS = "aws.organizations.accounts"


@dataclass
class OrgScope:
    """Which accounts of the organisation to collect."""

    role: str
    accounts: tuple[str, ...] = ()  # only these (empty: all)
    exclude: tuple[str, ...] = ()
    ous: tuple[str, ...] = ()  # only accounts under these OUs, at any depth


@dataclass
class Listed:
    accounts: list[dict[str, Any]] = field(default_factory=list)
    request_ids: list[str] = field(default_factory=list)


def _pages(client: Any, operation: str, key: str, rids: list[str], **params: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for page in client.get_paginator(operation).paginate(**params):
        rid = request_id(page)
        if rid:
            rids.append(rid)
        out.extend(page.get(key, []))
    return out


def _under(client: Any, ou: str, listed: Listed) -> None:
    listed.accounts.extend(_pages(client, "list_accounts_for_parent", "Accounts", listed.request_ids, ParentId=ou))
    for child in _pages(
        client, "list_children", "Children", listed.request_ids, ParentId=ou, ChildType="ORGANIZATIONAL_UNIT"
    ):
        _under(client, child["Id"], listed)


def discover(account: Account, scope: OrgScope, recorder: Recorder) -> list[str] | None:
    """The account ids to collect, in order; ``None`` (and a recorded gap) when the listing failed."""
    where = Scope(account=account.account_id, region="global")
    action = "organizations:ListAccountsForParent" if scope.ous else "organizations:ListAccounts"
    listed = Listed()
    try:
        client = account.client("organizations", account.home_region)
        if scope.ous:
            for ou in scope.ous:
                _under(client, ou, listed)
        else:
            listed.accounts = _pages(client, "list_accounts", "Accounts", listed.request_ids)
    except Exception as exc:  # noqa: BLE001 - classified; an unexpected error is re-raised by classify
        failure: ApiFailure = classify(exc, action)
        recorder.attempt(
            ACCOUNTS,
            failure.action,
            where,
            failure.status,
            f"the organisation's accounts could not be listed: {failure.message}",
            request_ids=failure.request_ids,
        )
        return None
    unique = {a["Id"]: a for a in listed.accounts}
    wanted = set(scope.accounts)
    chosen, left_out = [], []
    for acct_id, acct in sorted(unique.items()):
        state = acct.get("State") or acct.get("Status") or "ACTIVE"
        if state != "ACTIVE":
            left_out.append({"Id": acct_id, "reason": f"not active ({state})"})
        elif wanted and acct_id not in wanted:
            left_out.append({"Id": acct_id, "reason": "not among --accounts"})
        elif acct_id in scope.exclude:
            left_out.append({"Id": acct_id, "reason": "excluded by --exclude-accounts"})
        else:
            chosen.append(acct_id)
    rids = tuple(dict.fromkeys(listed.request_ids))
    data = {
        "Accounts": [
            {"Id": a["Id"], "Name": a.get("Name", ""), "Status": a.get("Status", "")} for a in unique.values()
        ],
        "Collected": chosen,
        "LeftOut": left_out,
        "OrganizationalUnits": list(scope.ous),
        "Role": scope.role,
    }
    recorder.item(
        ACCOUNTS,
        action,
        where,
        f"arn:{account.partition}:organizations::{account.account_id}:accounts",
        data,
        name="accounts of the organisation",
        request_ids=rids,
    )
    recorder.attempt(ACCOUNTS, action, where, count=len(chosen), request_ids=rids)
    for missing in sorted(wanted - set(unique)):
        recorder.attempt(
            ACCOUNTS,
            action,
            Scope(account=missing, region="global"),
            CallStatus.ERROR,
            f"account {missing} was asked for with --accounts but the organisation does not list it"
            + (" under the OUs given" if scope.ous else ""),
            request_ids=rids,
        )
    return chosen


def role_arn(partition: str, account_id: str, role: str) -> str:
    name = role.split(":role/", 1)[-1]
    return f"arn:{partition}:iam::{account_id}:role/{name}"
