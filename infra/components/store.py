"""The single table: keys and indexes come from `sideconv.store.schema`, so the stack, the local stack
and the tests cannot disagree about them."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct
from sideconv import keys
from sideconv.store.schema import table_definition

from infra.components.nag import acknowledge, logical_id, role_policy

_TYPES = {"S": dynamodb.AttributeType.STRING, "N": dynamodb.AttributeType.NUMBER,
          "B": dynamodb.AttributeType.BINARY}
_STREAMS = {"NEW_AND_OLD_IMAGES": dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
            "NEW_IMAGE": dynamodb.StreamViewType.NEW_IMAGE}


# What the use cases do: Get/Query/BatchGet, Put/Update/Delete with conditions, TransactWriteItems
# (authorized per item: Put, Update, Delete, ConditionCheck).
ITEM_ACTIONS = ("GetItem", "BatchGetItem", "Query", "PutItem", "UpdateItem", "DeleteItem", "ConditionCheckItem")


class Store(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, retain_data: bool) -> None:
        super().__init__(scope, construct_id)
        spec = table_definition("unused")
        types = {a["AttributeName"]: _TYPES[a["AttributeType"]] for a in spec["AttributeDefinitions"]}

        def key(schema: list[dict[str, str]], kind: str) -> dynamodb.Attribute:
            (name,) = [k["AttributeName"] for k in schema if k["KeyType"] == kind]
            return dynamodb.Attribute(name=name, type=types[name])

        self.table = dynamodb.Table(
            self, "Table",
            partition_key=key(spec["KeySchema"], "HASH"),
            sort_key=key(spec["KeySchema"], "RANGE"),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            stream=_STREAMS[spec["StreamSpecification"]["StreamViewType"]],
            time_to_live_attribute=keys.TTL_ATTRIBUTE,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True),
            deletion_protection=retain_data,
            removal_policy=RemovalPolicy.RETAIN if retain_data else RemovalPolicy.DESTROY,
        )
        for lsi in spec.get("LocalSecondaryIndexes", []):
            self.table.add_local_secondary_index(
                index_name=lsi["IndexName"], sort_key=key(lsi["KeySchema"], "RANGE"),
                projection_type=dynamodb.ProjectionType(lsi["Projection"]["ProjectionType"]))
        for gsi in spec.get("GlobalSecondaryIndexes", []):
            self.table.add_global_secondary_index(
                index_name=gsi["IndexName"], partition_key=key(gsi["KeySchema"], "HASH"),
                sort_key=key(gsi["KeySchema"], "RANGE"),
                projection_type=dynamodb.ProjectionType(gsi["Projection"]["ProjectionType"]))

    @property
    def stream_arn(self) -> str:
        arn = self.table.table_stream_arn
        assert arn is not None, "the table has a stream"
        return arn

    def grant_read_write(self, function: lambda_.Function) -> None:
        """Item reads and writes (single, batch-get, transactional) on the table and its indexes.

        Narrower than `grant_read_write_data`: no Scan, no DescribeTable, no stream.
        """
        function.add_to_role_policy(iam.PolicyStatement(
            actions=[f"dynamodb:{action}" for action in ITEM_ACTIONS],
            resources=[self.table.table_arn, f"{self.table.table_arn}/index/*"]))
        self._acknowledge_indexes(function)

    def grant_own_items(self, function: lambda_.Function, partition_prefix: str) -> None:
        """Put and delete only items whose partition key starts with `partition_prefix`."""
        function.add_to_role_policy(iam.PolicyStatement(
            actions=["dynamodb:PutItem", "dynamodb:DeleteItem"],
            resources=[self.table.table_arn],
            conditions={"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{partition_prefix}*"]}}))

    def grant_get_items(self, function: lambda_.Function, partition_prefix: str) -> None:
        """GetItem only, and only of items whose partition key starts with `partition_prefix`."""
        function.add_to_role_policy(iam.PolicyStatement(
            actions=["dynamodb:GetItem"], resources=[self.table.table_arn],
            conditions={"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{partition_prefix}*"]}}))

    def _acknowledge_indexes(self, function: lambda_.Function) -> None:
        acknowledge(role_policy(function), f"AwsSolutions-IAM5[Resource::<{logical_id(self.table)}.Arn>/index/*]",
                    "Queries the table's own indexes (by_activity, inbox), whose ARNs sit under the table's.")
