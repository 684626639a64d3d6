"""Elastic Load Balancing v2: listeners of every load balancer and the TLS policies they use.

A policy's protocols come from ``DescribeSSLPolicies`` (what the policy really allows), never
from its name. Plain HTTP listeners are recorded too, with their rules (``DescribeRules``, under
``Rules``): whether everything they serve only redirects to HTTPS is a check.
"""

from __future__ import annotations

from typing import Any

from auditprep.collect.aws.runtime import ApiFailure, RegionContext, ids_of
from auditprep.collect.aws.shared import Shared

LISTENER = "aws.elbv2.listener"
SSL_POLICY = "aws.elbv2.ssl_policy"
SECURE_PROTOCOLS = {"HTTPS", "TLS"}


def collect(ctx: RegionContext, shared: Shared) -> None:
    try:
        lbs = ctx.collect_all("elbv2", "DescribeLoadBalancers", "LoadBalancers", PaginationConfig={"PageSize": 400})
    except ApiFailure as f:
        ctx.attempt(LISTENER, "elasticloadbalancing:DescribeLoadBalancers", failure=f)
        ctx.attempt(SSL_POLICY, "elasticloadbalancing:DescribeLoadBalancers", failure=f)
        return
    listeners: list[dict[str, Any]] = []
    for lb in lbs:
        try:
            found = ctx.collect_all(
                "elbv2",
                "DescribeListeners",
                "Listeners",
                LoadBalancerArn=lb["LoadBalancerArn"],
                PaginationConfig={"PageSize": 400},
            )
        except ApiFailure as f:
            ctx.attempt(
                LISTENER,
                "elasticloadbalancing:DescribeListeners",
                failure=f,
                resource=lb["LoadBalancerArn"],
                name=lb.get("LoadBalancerName", ""),
            )
            continue
        summary = {k: lb.get(k) for k in ("LoadBalancerName", "LoadBalancerArn", "Scheme", "Type", "DNSName")}
        for listener in found:
            listener["auditprep_derived"] = {"load_balancer": summary}
            listeners.append(listener)

    def rules_of(listener: dict[str, Any]) -> Any:
        try:
            return ctx.collect_all("elbv2", "DescribeRules", "Rules", ListenerArn=listener["ListenerArn"])
        except ApiFailure as f:
            return f

    plain = [lst for lst in listeners if lst.get("Protocol") == "HTTP"]
    for listener, rules in zip(plain, ctx.map(rules_of, plain), strict=True):
        if isinstance(rules, ApiFailure):
            lb_name = listener["auditprep_derived"]["load_balancer"]["LoadBalancerName"]
            ctx.attempt(
                LISTENER,
                "elasticloadbalancing:DescribeRules",
                failure=rules,
                resource=listener["ListenerArn"],
                name=f"{lb_name}:{listener.get('Port')}/{listener.get('Protocol')}",
            )
            continue
        listener["Rules"] = rules
    for listener in listeners:
        lb_name = listener["auditprep_derived"]["load_balancer"]["LoadBalancerName"]
        ctx.item(
            LISTENER,
            "elasticloadbalancing:DescribeListeners",
            listener["ListenerArn"],
            listener,
            name=f"{lb_name}:{listener.get('Port')}/{listener.get('Protocol')}",
            request_ids=ids_of(listener, listener.get("Rules")),
        )
    listed = ids_of(lbs) + ctx.calls("elasticloadbalancing:DescribeListeners")
    ctx.attempt(LISTENER, "elasticloadbalancing:DescribeListeners", count=len(listeners), request_ids=listed)

    names = sorted(
        {lst["SslPolicy"] for lst in listeners if lst.get("Protocol") in SECURE_PROTOCOLS and lst.get("SslPolicy")}
    )
    if not names:
        ctx.attempt(SSL_POLICY, "elasticloadbalancing:DescribeSSLPolicies", count=0, request_ids=listed)
        return
    try:
        policies = ctx.collect_all("elbv2", "DescribeSSLPolicies", "SslPolicies", Names=names)
    except ApiFailure as f:
        ctx.attempt(SSL_POLICY, "elasticloadbalancing:DescribeSSLPolicies", failure=f)
        return
    for policy in policies:
        ctx.item(SSL_POLICY, "elasticloadbalancing:DescribeSSLPolicies", policy["Name"], policy, name=policy["Name"])
    ctx.attempt(SSL_POLICY, "elasticloadbalancing:DescribeSSLPolicies", count=len(policies))
