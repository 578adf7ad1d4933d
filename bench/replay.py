"""The floor of a throughput figure: the same AWS requests a handler made, sent directly with boto3.

The handler's calls are recorded (operation and API parameters) and replayed, in the same order,
against a twin table (and queue) that holds the same items, so every condition evaluates the same.
"""

from __future__ import annotations

import copy
import time
from typing import Any

from botocore import xform_name
from botocore.exceptions import ClientError

from bench.counting import Call


def retarget(params: dict[str, Any], table: str | None = None, queue_url: str | None = None) -> dict[str, Any]:
    """The same request aimed at the twin table (and queue)."""
    out = copy.deepcopy(params)
    if table is not None:
        if "TableName" in out:
            out["TableName"] = table
        for item in out.get("TransactItems", []):
            for body in item.values():
                if isinstance(body, dict) and "TableName" in body:
                    body["TableName"] = table
        if "RequestItems" in out:
            [requests] = out["RequestItems"].values()  # the service uses one table
            out["RequestItems"] = {table: requests}
    if queue_url is not None and "QueueUrl" in out:
        out["QueueUrl"] = queue_url
    return out


class Replayer:
    def __init__(self, region: str, table: str, queue_url: str | None = None) -> None:
        import boto3

        self._clients = {name: boto3.client(name, region_name=region) for name in ("dynamodb", "s3", "sqs")}
        self._table = table
        self.queue_url = queue_url
        self.errors = 0

    def replay(self, calls: list[Call]) -> float:
        """Send the calls; the seconds they took (argument copying excluded)."""
        prepared = []
        for call in calls:
            if call.params is None:
                raise ValueError(f"{call.service}.{call.operation} was recorded without its parameters")
            client = self._clients.get(call.service)
            if client is None:
                raise ValueError(f"no client for {call.service}")
            prepared.append((getattr(client, xform_name(call.operation)),
                             retarget(call.params, self._table, self.queue_url)))
        start = time.perf_counter()
        for method, params in prepared:
            try:
                response = method(**params)
            except ClientError:
                self.errors += 1  # a refused condition is still a request, as it was for the handler
                continue
            body = response.get("Body") if isinstance(response, dict) else None
            if body is not None:
                body.read()
        return time.perf_counter() - start


def copy_table(region: str, source: str, target: str) -> int:
    """Make the twin: create `target` like `source` and copy every item (harness work, not timed)."""
    import boto3
    from sideconv.store.schema import table_definition

    dynamodb = boto3.client("dynamodb", region_name=region)
    dynamodb.create_table(**table_definition(target))
    copied = 0
    for page in dynamodb.get_paginator("scan").paginate(TableName=source):
        items = page["Items"]
        for start in range(0, len(items), 25):
            chunk = items[start:start + 25]
            dynamodb.batch_write_item(RequestItems={target: [{"PutRequest": {"Item": i}} for i in chunk]})
            copied += len(chunk)
    return copied
