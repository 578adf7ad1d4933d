"""cdk-nag acknowledgments, each placed on the one construct it is about, with its reason."""

from __future__ import annotations

from typing import cast

from aws_cdk import Acknowledgment, CfnElement, Stack, Validations
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
