"""The one place a write whose condition did not hold is recognised.

A single-item write (PutItem, UpdateItem, DeleteItem) that fails its condition answers
`ConditionalCheckFailedException`, as botocore's ClientError or wrapped by PynamoDB. A transaction is
cancelled as a whole and DynamoDB gives one reason per item; the item whose condition failed is the
one whose reason's `Code` is `ConditionalCheckFailed`. `sideconv.store.transactions.Transaction`
pairs each reason with the key of the item it belongs to, so a caller asks "did *this* item's
condition fail" and never counts positions. No PynamoDB import here: the Slack events endpoint,
which has none, uses it too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

# A transaction's cancellation reason for an item whose condition did not hold.
CONDITION_FAILED_REASON = "ConditionalCheckFailed"
# The error of a single-item write whose condition did not hold.
CONDITION_FAILED_ERROR = "ConditionalCheckFailedException"

Key = tuple[str, str]


def _code(reason: Any) -> str | None:
    return reason.get("Code") if isinstance(reason, dict) else getattr(reason, "code", None)


def failed_keys(reasons: Sequence[Any], item_keys: Sequence[Key]) -> frozenset[Key]:
    """The keys, among `item_keys` (the transaction's items as sent), whose reason says their
    condition failed. `reasons` are PynamoDB's (`.code`) or botocore's (`["Code"]`) cancellation reasons."""
    failed = set()
    for key, reason in zip(item_keys, reasons, strict=False):
        if _code(reason) == CONDITION_FAILED_REASON:
            failed.add(key)
    return frozenset(failed)


def condition_failed(exc: BaseException) -> bool:
    """The write `exc` came from failed a condition: a single-item write's, or in a transaction any
    item's (which one: `ConditionFailed.of(pk, sk)`, sideconv.store.transactions)."""
    failed = getattr(exc, "failed", None)
    if isinstance(failed, frozenset):  # a Transaction's, the failed items known by their keys
        return bool(failed)
    reasons = getattr(exc, "cancellation_reasons", None) or []
    if reasons:  # a transaction not sent through Transaction
        return any(_code(reason) == CONDITION_FAILED_REASON for reason in reasons)
    code = getattr(exc, "cause_response_code", None)
    if code is None:
        response = getattr(exc, "response", None)
        code = response.get("Error", {}).get("Code") if isinstance(response, dict) else None
    return code == CONDITION_FAILED_ERROR
