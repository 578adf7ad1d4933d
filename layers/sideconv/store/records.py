"""The table's small records outside a side conversation's own items, one function per access pattern:
an agent's upload, the published-event markers, an account's follow-up settings, the account's Slack
installations as the create reads them. Through the models (bound at cold start, `models.bind`)."""

from __future__ import annotations

from typing import Any

from sideconv import keys
from sideconv.store.models import FollowUpSettingsItem, PublishedEventItem, SlackInstallationItem, UploadItem


def start_upload(item: UploadItem) -> None:
    """An upload's record, written once (1 PutItem, `attribute_not_exists`)."""
    item.save(condition=UploadItem.pk.does_not_exist())


def uploads_of(pk: str, upload_ids: list[str]) -> list[UploadItem]:
    """The upload records of this partition among `upload_ids`: one BatchGetItem (at most ten keys)."""
    return list(UploadItem.batch_get([(pk, keys.upload_sk(u)) for u in upload_ids], consistent_read=True))


def published(event_id: str) -> bool:
    """The change's events reached the bus before (its marker exists): one consistent GetItem."""
    marker_key = keys.published_event_ref(event_id)
    try:
        PublishedEventItem.get(marker_key, marker_key, consistent_read=True)
    except PublishedEventItem.DoesNotExist:
        return False
    return True


def mark_published(event_id: str, detail_type: str, expires_at: Any) -> None:
    marker_key = keys.published_event_ref(event_id)
    PublishedEventItem(marker_key, marker_key, detail_type=detail_type, expires_at=expires_at).save()


def follow_up_settings(account_id: str, *, consistent: bool) -> FollowUpSettingsItem | None:
    key = keys.follow_up_settings_ref(account_id)
    try:
        return FollowUpSettingsItem.get(key, key, consistent_read=consistent)
    except FollowUpSettingsItem.DoesNotExist:
        return None


def put_follow_up_settings(account_id: str, *, default_after: int | None, max_nudges: int,
                           auto_close_after: int | None, updated_at: str, updated_by: str) -> None:
    key = keys.follow_up_settings_ref(account_id)
    FollowUpSettingsItem(key, key, default_after=default_after, max_nudges=max_nudges,
                         auto_close_after=auto_close_after, updated_at=updated_at, updated_by=updated_by).save()


def slack_installations(account_id: str) -> list[SlackInstallationItem]:
    """The account's workspaces as a create chooses among them (1 Query, eventually consistent, the
    fields it reads only)."""
    return list(SlackInstallationItem.query(
        keys.slack_installations_pk(account_id), SlackInstallationItem.sk.startswith(keys.SLACK_INSTALLATION_PREFIX),
        attributes_to_get=["pk", "sk", "kind", "team_id", "team_name", "state", "account_id"]))
