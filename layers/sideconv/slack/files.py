"""An outbound message's files, shared into its Slack thread with slack-sdk's `files_upload_v2`.

`files_upload_v2` is Slack's current upload (files.getUploadURLExternal, a POST of the bytes to the
URL it answers, then one files.completeUploadExternal that shares them in the thread); the old
`files.upload` is retired. It holds every file of a call in memory, so the files go in calls of at
most BATCH_BYTES in all, each read from S3 once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from sideconv.store.models import AttachmentMap

if TYPE_CHECKING:
    from slack_sdk import WebClient

BATCH_BYTES = 30 * 1024 * 1024


def batches(files: Sequence[AttachmentMap]) -> Iterator[list[AttachmentMap]]:
    batch: list[AttachmentMap] = []
    held = 0
    for file in files:
        if batch and held + int(file.size) > BATCH_BYTES:
            yield batch
            batch, held = [], 0
        batch.append(file)
        held += int(file.size)
    if batch:
        yield batch


def share(client: WebClient, files: Sequence[AttachmentMap], *, channel: str, thread_ts: str,
          read: Callable[[str], bytes]) -> list[str]:
    """Upload `files` into the thread; the Slack file ids, in order."""
    ids: list[str] = []
    for batch in batches([f for f in files if f.location]):
        uploads: list[dict[str, Any]] = [
            {"file": read(str(f.location)), "filename": f.name, "title": f.name} for f in batch]
        answer = client.files_upload_v2(file_uploads=uploads, channel=channel, thread_ts=thread_ts,
                                        request_file_info=False)
        ids += [str(f.get("id")) for f in answer.get("files") or []]
        uploads.clear()
    return ids
