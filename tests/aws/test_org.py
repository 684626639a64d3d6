"""The organisation as scope, on moto's server with its IAM enforcement switched on.

moto lets anyone assume any role unless it is told to check credentials; with its request
authorisation on (``/moto-api/reset-auth``), it checks each caller's IAM policies against the
action and resource. (It checks a role's trust policy only for roles of the caller's own account,
so a member role's trust policy cannot be what refuses here.) The denied member models a real
case the same way AWS would refuse it: the collecting identity's policy denies assuming the audit
role in that account, as a permissions boundary or a service control policy would.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from urllib.parse import urlsplit

import boto3
import pytest

from auditprep.collect.aws import collect_aws, iam_policy
from auditprep.collect.aws.org import ACCOUNTS, OrgScope
from auditprep.models import CallStatus

from .world import ACCOUNT_A, R1, client

ROLE = "AuditRole"
ALLOW_ALL = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})


def _auth(endpoint: str, count: str) -> None:
    parts = urlsplit(endpoint)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.request("POST", "/moto-api/reset-auth", body=count)
    assert conn.getresponse().status == 200


def _trust(principal: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}],
        }
    )


def _member(account: str) -> boto3.session.Session:
    creds = client("sts", R1).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole", RoleSessionName="seed"
    )["Credentials"]
    return boto3.session.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )


@pytest.fixture
def org(aws: str, moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """An organisation: a member in the 'prod' OU (and one in an OU below it), a member whose audit
    role the auditor is denied assuming, and one more member.
    Then moto's IAM enforcement is switched on and the process signs as the auditor, talking to moto
    directly: with enforcement on, moto checks each request's signature against its own address, so
    the CloudTrail-keeping proxy (which these tests do not need) is left out."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    iam = client("iam", R1)
    user = iam.create_user(UserName="auditor")["User"]["Arn"]
    iam.put_user_policy(UserName="auditor", PolicyName="all", PolicyDocument=ALLOW_ALL)
    key = iam.create_access_key(UserName="auditor")["AccessKey"]
    denied_role: list[str] = []  # filled in once the account exists
    orgs = client("organizations", R1)
    orgs.create_organization(FeatureSet="ALL")
    root = orgs.list_roots()["Roots"][0]["Id"]
    prod = orgs.create_organizational_unit(ParentId=root, Name="prod")["OrganizationalUnit"]["Id"]
    team = orgs.create_organizational_unit(ParentId=prod, Name="team")["OrganizationalUnit"]["Id"]
    ids = {}
    for name in ("ok", "nested", "denied", "other"):
        ids[name] = orgs.create_account(Email=f"{name}@example.test", AccountName=name)["CreateAccountStatus"][
            "AccountId"
        ]
    orgs.move_account(AccountId=ids["ok"], SourceParentId=root, DestinationParentId=prod)
    orgs.move_account(AccountId=ids["nested"], SourceParentId=root, DestinationParentId=team)
    for name in ("ok", "nested", "other"):
        member_iam = client("iam", R1, _member(ids[name]))
        member_iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=_trust(user))
        member_iam.put_role_policy(RoleName=ROLE, PolicyName="all", PolicyDocument=ALLOW_ALL)
        client("ecs", R1, _member(ids[name])).create_cluster(clusterName=f"{name}-cluster")
    denied_iam = client("iam", R1, _member(ids["denied"]))
    denied_iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=_trust(user))
    denied_iam.put_role_policy(RoleName=ROLE, PolicyName="all", PolicyDocument=ALLOW_ALL)
    denied_role.append(f"arn:aws:iam::{ids['denied']}:role/{ROLE}")
    deny = {"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": denied_role}
    iam.put_user_policy(
        UserName="auditor",
        PolicyName="no-denied-member",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [deny]}),
    )
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
    ids["prod"], ids["team"] = prod, team
    _auth(moto_endpoint, "0")
    try:
        yield ids
    finally:
        _auth(moto_endpoint, "inf")


def test_every_active_account_is_collected_and_a_role_that_cannot_be_assumed_is_a_gap(org):
    out = collect_aws(regions=[R1], org=OrgScope(ROLE, exclude=(org["other"],)))
    accounts = {e.scope.account for e in out.evidence}
    for name in ("ok", "nested"):
        clusters = [e for e in out.evidence if e.kind == "aws.ecs.cluster" and e.scope.account == org[name]]
        assert [e.resource_name for e in clusters if e.resource] == [f"{name}-cluster"]
    denied = [e for e in out.evidence if e.scope.account == org["denied"]]
    assert [(e.kind, e.status) for e in denied] == [("aws.sts.identity", CallStatus.ACCESS_DENIED)]
    assert "sts:AssumeRole" in denied[0].operation + denied[0].message
    assert org["other"] not in accounts  # excluded as asked, and said so in the listing
    listing = next(e for e in out.evidence if e.kind == ACCOUNTS and e.resource)
    assert listing.scope.account == ACCOUNT_A
    assert {x["Id"]: x["reason"] for x in listing.data["LeftOut"]} == {org["other"]: "excluded by --exclude-accounts"}
    assert set(listing.data["Collected"]) == {ACCOUNT_A, org["ok"], org["nested"], org["denied"]}


def test_an_ou_filter_takes_the_accounts_below_it_at_any_depth(org):
    out = collect_aws(regions=[R1], org=OrgScope(ROLE, ous=(org["prod"],)))
    listing = next(e for e in out.evidence if e.kind == ACCOUNTS and e.resource)
    assert sorted(listing.data["Collected"]) == sorted([org["ok"], org["nested"]])
    collected = {e.scope.account for e in out.evidence if e.kind == "aws.account.regions"}
    assert collected == {org["ok"], org["nested"]}  # the filters apply to the management account too
    assert {e.scope.account for e in out.evidence} == {ACCOUNT_A, org["ok"], org["nested"]}  # its listing
    only = collect_aws(regions=[R1], org=OrgScope(ROLE, accounts=(org["ok"], "999999999999")))
    assert {e.scope.account for e in only.evidence if e.kind == "aws.account.regions"} == {org["ok"]}
    missing = [e for e in only.evidence if e.scope.account == "999999999999"]
    assert [(e.kind, e.status) for e in missing] == [(ACCOUNTS, CallStatus.ERROR)]


def test_the_policy_for_an_organisation_lists_its_accounts_and_assumes_the_role_anywhere():
    policy = iam_policy(org_role=ROLE)
    reads, assume = policy["Statement"]
    assert {"organizations:ListAccounts", "organizations:ListAccountsForParent", "organizations:ListChildren"} <= set(
        reads["Action"]
    )
    assert assume["Action"] == ["sts:AssumeRole"] and assume["Resource"] == [f"arn:aws:iam::*:role/{ROLE}"]
    assert not any(a.startswith("organizations:") for a in iam_policy()["Statement"][0]["Action"])
