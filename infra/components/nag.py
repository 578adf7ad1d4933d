"""Validator acknowledgments, each placed on the one construct it is about, with its reason: cdk-nag's
(construct metadata) and cfn-lint's (the resource's template Metadata)."""

from __future__ import annotations

from typing import cast

from aws_cdk import Acknowledgment, CfnElement, CfnResource, Stack, Validations
from aws_cdk import aws_lambda as lambda_
from constructs import IConstruct


def acknowledge(construct: IConstruct, rule: str, reason: str) -> None:
    """`rule` is a finding id as cdk-nag reports it, e.g. "AwsSolutions-IAM5[Resource::*]"."""
    Validations.of(construct).acknowledge(Acknowledgment(id=rule, reason=reason))


def logical_id(construct: IConstruct) -> str:
    """The logical id cdk-nag prints for an L2's resource (as in `<TableCD117FA1.Arn>`)."""
    return Stack.of(construct).get_logical_id(cast(CfnElement, construct.node.default_child))


def role_policy(function: lambda_.IFunction) -> IConstruct:
    """The inline policy of a function's own role, where its grants land."""
    assert function.role is not None, "every function of this service has its own role"
    return function.role.node.find_child("DefaultPolicy")


# Where a cfn-lint acknowledgment's reason sits, beside the `cfn-lint` block cfn-lint reads.
LINT_REASONS = "Acknowledged"
# CDK makes a function depend on its role and the role's policy, so the policy is attached before
# anything can invoke it; the role half repeats what the `Role` GetAtt already orders.
ROLE_DEPENDENCY = ("W3005", "CDK orders the function after its role's policy (DependsOn); that it also names the "
                   "role, which the Role GetAtt already orders, changes nothing")


def acknowledge_lint(construct: IConstruct, rule: str, reason: str) -> None:
    """A cfn-lint rule (e.g. "W3005") not checked on this construct's resource, with the reason beside it."""
    resource = construct if isinstance(construct, CfnResource) else construct.node.default_child
    assert isinstance(resource, CfnResource), f"{construct.node.path} has no CloudFormation resource"
    config = dict(resource.get_metadata("cfn-lint") or {}).get("config", {})
    resource.add_metadata("cfn-lint", {"config": {**config, "ignore_checks": [
        *config.get("ignore_checks", []), rule]}})
    resource.add_metadata(LINT_REASONS, {**(resource.get_metadata(LINT_REASONS) or {}), f"cfn-lint {rule}": reason})
