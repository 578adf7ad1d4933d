"""TransactWriteItems through PynamoDB, with the failed conditions named by the items they belong to."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from sideconv import keys
from sideconv.store.conditions import Key, failed_keys


class ConditionFailed(TransactWriteError):
    """The transaction was cancelled because the condition of the items `failed` did not hold."""

    def __init__(self, failed: frozenset[Key], cause: TransactWriteError) -> None:
        super().__init__(cause.msg, cause.cause)
        self.failed = failed

    def of(self, pk: str, sk: str) -> bool:
        return (pk, sk) in self.failed


def _key(operation: dict[str, Any]) -> Key:
    key = operation.get("Key") or operation.get("Item") or {}
    return key.get(keys.PK, {}).get("S", ""), key.get(keys.SK, {}).get("S", "")


class Transaction(TransactWrite):
    """PynamoDB's TransactWrite; a cancellation by failed conditions is raised as `ConditionFailed`."""

    def _sent(self) -> list[Key]:
        # The order PynamoDB's Connection.transact_write_items sends them in, which DynamoDB's
        # cancellation reasons follow one to one.
        operations = [*self._condition_check_items, *self._delete_items, *self._put_items, *self._update_items]
        return [_key(operation) for operation in operations]

    def _commit(self) -> Any:
        try:
            return super()._commit()
        except TransactWriteError as exc:
            failed = failed_keys(exc.cancellation_reasons or [], self._sent())
            if failed:
                raise ConditionFailed(failed, exc) from exc
            raise
