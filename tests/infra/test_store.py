"""The table in the template is the table `sideconv.store.schema` defines (the local stack's too)."""

from __future__ import annotations

import pytest
from sideconv import keys
from sideconv.store.schema import table_definition

from tests.infra.conftest import Synthesized

pytestmark = pytest.mark.xdist_group("cdk")


def _table(synthesized: Synthesized) -> dict:
    (table,) = synthesized.of_type("AWS::DynamoDB::Table").values()
    return table


def _by_name(items: list[dict]) -> dict[str, dict]:
    return {item["IndexName"]: item for item in items}


def test_keys_and_indexes_match_the_schema_module(synthesized: Synthesized) -> None:
    # Given the definition the local stack and the repository tests use
    expected = table_definition("any")
    # When the stack declares its table
    props = _table(synthesized)["Properties"]
    # Then both agree on attributes, keys, indexes and stream
    assert sorted(props["AttributeDefinitions"], key=lambda a: a["AttributeName"]) == sorted(
        expected["AttributeDefinitions"], key=lambda a: a["AttributeName"])
    assert props["KeySchema"] == expected["KeySchema"]
    assert props["BillingMode"] == expected["BillingMode"]
    assert props["StreamSpecification"] == {"StreamViewType": expected["StreamSpecification"]["StreamViewType"]}
    lsis, glsis = _by_name(props["LocalSecondaryIndexes"]), _by_name(props["GlobalSecondaryIndexes"])
    for index in expected["LocalSecondaryIndexes"]:
        assert lsis.pop(index["IndexName"]) == index
    for index in expected["GlobalSecondaryIndexes"]:
        assert glsis.pop(index["IndexName"]) == index
    assert lsis == {}
    assert glsis == {}


def test_recovery_ttl_and_protection_are_on(synthesized: Synthesized) -> None:
    table = _table(synthesized)
    props = table["Properties"]
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["TimeToLiveSpecification"] == {"AttributeName": keys.TTL_ATTRIBUTE, "Enabled": True}
    # retainData defaults to true: the table survives `make destroy` and cannot be deleted by mistake
    assert props["DeletionProtectionEnabled"] is True
    assert table["DeletionPolicy"] == "Retain"
    assert table["UpdateReplacePolicy"] == "Retain"


def test_the_data_the_service_keeps_is_retained(synthesized: Synthesized) -> None:
    kept = {**synthesized.of_type("AWS::S3::Bucket"), **synthesized.of_type("AWS::SecretsManager::Secret")}
    assert kept
    assert {name: r.get("DeletionPolicy") for name, r in kept.items()} == dict.fromkeys(kept, "Retain")
