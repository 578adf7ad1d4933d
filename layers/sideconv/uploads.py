"""Outbound attachments: files an agent uploads straight to S3, then names on a new message.

The API never carries file bytes. `POST .../uploads` records the upload (one PutItem, `UP#<id>` in
the conversation's partition, TTL) and answers a presigned S3 POST whose policy binds the key, the
exact size, the content type and the `pending` tag; the browser posts the file to S3 itself. A message
naming the upload reads the records (1 BatchGetItem: another account's or conversation's id is not
in this partition, so it is a 404), checks each object is there as declared (a GetObject of its first
KB: a never completed upload is a 422; so is a program renamed "label.pdf", or a file whose first bytes
are not of its type: `sniff`) and tags it `attached`; the bucket's lifecycle expires objects still
`pending` after a day and every upload after the mail retention (infra/components/uploads.py).

Uploads live in their own bucket (UPLOADS_BUCKET) under `uploads/<account>/<conversation>/<id>`:
the bucket takes browser POSTs (CORS) and keeps nothing else.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sideconv import channels, clock, keys
from sideconv.errors import InvalidRequest, NotFound
from sideconv.store.models import AttachmentMap, UploadItem
from sideconv.wiring import Wiring, built

MAX_FILE_BYTES = 25 * 1024 * 1024
MAX_FILES = 10
POST_WINDOW_SECONDS = 15 * 60
# An upload record outlives its POST window long enough for the message that names it.
RECORD_TTL_SECONDS = 24 * 3600
MAX_NAME_LENGTH = 120
PREFIX = "uploads/"
TAG_KEY = "sideconv-upload"
PENDING_TAGGING = f"<Tagging><TagSet><Tag><Key>{TAG_KEY}</Key><Value>pending</Value></Tag></TagSet></Tagging>"

# What an agent may send, by content type, with the file name endings each may have. Anything else
# (executables, scripts, HTML, SVG, archives that hide them, types a browser could not name) is refused.
ALLOWED_TYPES: dict[str, tuple[str, ...]] = {
    "application/pdf": (".pdf",),
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/gif": (".gif",),
    "image/webp": (".webp",),
    "image/heic": (".heic",),
    "text/plain": (".txt", ".log"),
    "text/csv": (".csv",),
    "application/json": (".json",),
    "message/rfc822": (".eml",),
    "application/msword": (".doc",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (".docx",),
    "application/vnd.ms-excel": (".xls",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (".xlsx",),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": (".pptx",),
    "application/vnd.oasis.opendocument.text": (".odt",),
    "application/vnd.oasis.opendocument.spreadsheet": (".ods",),
    "video/mp4": (".mp4",),
    "audio/mpeg": (".mp3",),
}
# Refused whatever type is declared: what runs when opened.
EXECUTABLE_ENDINGS = frozenset({
    ".exe", ".com", ".bat", ".cmd", ".scr", ".pif", ".msi", ".msp", ".dll", ".cpl", ".jar", ".js", ".jse",
    ".vbs", ".vbe", ".wsf", ".wsh", ".ps1", ".psm1", ".sh", ".bash", ".app", ".apk", ".dmg", ".pkg", ".deb",
    ".rpm", ".hta", ".lnk", ".reg", ".iso", ".html", ".htm", ".svg", ".xhtml", ".py", ".pl", ".rb", ".php",
})
# The first bytes of a file are read when a message takes it (one ranged GetObject, in place of a
# HeadObject): a program renamed "label.pdf", or a file that is not what its type says, is refused.
SNIFF_BYTES = 1024
PROGRAM_MAGIC = (b"MZ", b"\x7fELF", b"\xca\xfe\xba\xbe", b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf",
                 b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe")
_ZIP = (b"PK\x03\x04",)
# What a file of each type starts with (a PDF's header may follow up to 1 KB of junk, as readers allow).
MAGIC: dict[str, tuple[bytes, ...]] = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": _ZIP,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": _ZIP,
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": _ZIP,
    "application/vnd.oasis.opendocument.text": _ZIP,
    "application/vnd.oasis.opendocument.spreadsheet": _ZIP,
}
# Path separators, and what a file system or a Content-Disposition header should never see.
_UNSAFE = re.compile(r'[/\\:*?"<>|]')


def sanitize_name(raw: str) -> str:
    """A file name fit for a mail header, a Slack post and a download: no directory part, no control or
    format characters (CR/LF, NUL, the bidi overrides that make 'exe.pdf' read 'fdp.exe'), no path
    separators, at most MAX_NAME_LENGTH characters with its ending kept."""
    name = unicodedata.normalize("NFC", raw)
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C" and ch not in "\u2028\u2029")
    name = _UNSAFE.sub("_", name)
    name = " ".join(name.split()).strip(" .")
    if not name:
        return "file"
    if len(name) > MAX_NAME_LENGTH:
        stem, dot, ending = name.rpartition(".")
        if dot and 0 < len(ending) <= 10:
            name = stem[: MAX_NAME_LENGTH - len(ending) - 1].rstrip(" .") + "." + ending
        else:
            name = name[:MAX_NAME_LENGTH]
    return name


def _ending(name: str) -> str:
    stem, dot, ending = name.rpartition(".")
    return f".{ending.lower()}" if dot and stem else ""


def check_file(filename: str, content_type: str, size: int) -> str:
    """The sanitised name of an acceptable file; InvalidRequest naming the field otherwise."""
    if size > MAX_FILE_BYTES:
        raise InvalidRequest(f"a file may hold at most {MAX_FILE_BYTES} bytes", field="size")
    media_type = content_type.split(";")[0].strip().lower()
    name = sanitize_name(filename)
    ending = _ending(name)
    if ending in EXECUTABLE_ENDINGS or any(f".{part.lower()}" in EXECUTABLE_ENDINGS
                                           for part in name.split(".")[1:-1]):
        raise InvalidRequest("executable files and scripts are not sent", field="filename")
    endings = ALLOWED_TYPES.get(media_type)
    if endings is None:
        raise InvalidRequest(f"{media_type or 'this type'} is not a type that can be sent; allowed: "
                             + ", ".join(sorted(ALLOWED_TYPES)), field="content_type")
    if ending and ending not in endings:
        raise InvalidRequest(f"a {media_type} file ends with {' or '.join(endings)}", field="filename")
    return name if ending else name[: MAX_NAME_LENGTH - len(endings[0])] + endings[0]


def sniff(content_type: str, start: bytes) -> str | None:
    """Why a file whose first bytes are `start` is not sent as `content_type`; None: it may be."""
    if start.startswith(PROGRAM_MAGIC):
        return "this file is a program, whatever its name says: it is not sent"
    if content_type == "application/pdf" and b"%PDF-" not in start:
        return "this file is not a PDF"
    if content_type == "image/webp" and not (start[:4] == b"RIFF" and start[8:12] == b"WEBP"):
        return "this file is not a WebP image"
    expected = MAGIC.get(content_type)
    if expected and not start.startswith(expected):
        return f"this file is not what its type says ({content_type})"
    return None


def bucket_for(location: str, uploads_bucket: str, received_mail_bucket: str) -> str:
    """An agent's upload is in the uploads bucket; a file cut from a received mail beside that mail."""
    return uploads_bucket if location.startswith(PREFIX) else received_mail_bucket


@dataclass
class Uploads:
    """The S3 side of uploads. `presigner` signs the POST for the browser (locally an endpoint the browser
    reaches); `s3` checks and tags objects."""

    s3: Any
    presigner: Any
    bucket: str

    def start(self, *, account_id: str, conversation_id: str, agent_id: str, filename: str,
              content_type: str, size: int) -> tuple[UploadItem, dict[str, Any]]:
        name = check_file(filename, content_type, size)
        media_type = content_type.split(";")[0].strip().lower()
        upload_id = clock.new_id()
        key = keys.upload_object_key(account_id, conversation_id, upload_id)
        item = UploadItem(
            keys.conversation_pk(account_id, conversation_id), keys.upload_sk(upload_id),
            id=upload_id, name=name, content_type=media_type, size=size, location=key, created_by=agent_id,
            created_at=clock.now_iso(), expires_at=clock.epoch_after(RECORD_TTL_SECONDS))
        post = self.presigner.generate_presigned_post(
            Bucket=self.bucket, Key=key,
            Fields={"Content-Type": media_type, "tagging": PENDING_TAGGING},
            Conditions=[{"Content-Type": media_type}, ["content-length-range", size, size],
                        {"tagging": PENDING_TAGGING}],
            ExpiresIn=POST_WINDOW_SECONDS)
        expires_at = (datetime.now(UTC) + timedelta(seconds=POST_WINDOW_SECONDS)).isoformat(
            timespec="seconds").replace("+00:00", "Z")
        return item, {"upload_id": upload_id, "url": post["url"], "fields": post["fields"],
                      "expires_at": expires_at, "name": name, "max_bytes": size}

    def attach(self, pk: str, upload_ids: Sequence[str], *, channel: str,
               read: Callable[[str, list[str]], dict[str, UploadItem]]) -> list[AttachmentMap]:
        """The attachments a new message carries. Refused: an id not of this conversation (404), an
        upload not completed or not as declared (422), more in all than the channel carries (422)."""
        if not upload_ids:
            return []
        wanted = list(dict.fromkeys(upload_ids))
        found = read(pk, wanted)
        for index, upload_id in enumerate(upload_ids):
            if upload_id not in found:
                raise NotFound("no such upload in this conversation", field=f"attachments.{index}")
        total = sum(int(found[u].size) for u in wanted)
        channels.get(channel).check_attachments(total)
        out = []
        for upload_id in wanted:
            item = found[upload_id]
            field = f"attachments.{upload_ids.index(upload_id)}"
            self._check_object(item, field)
            out.append(AttachmentMap(id=item.id, name=item.name, content_type=item.content_type,
                                     size=int(item.size), location=item.location))
        for attachment in out:
            self.s3.put_object_tagging(Bucket=self.bucket, Key=attachment.location, Tagging={
                "TagSet": [{"Key": TAG_KEY, "Value": "attached"}]})
        return out

    def _check_object(self, item: UploadItem, field: str) -> None:
        from botocore.exceptions import ClientError

        try:
            head = self.s3.get_object(Bucket=self.bucket, Key=item.location, Range=f"bytes=0-{SNIFF_BYTES - 1}")
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                raise InvalidRequest("this upload was never completed: post the file first", field=field) from exc
            raise
        try:
            start = bytes(head["Body"].read(SNIFF_BYTES))
        finally:
            head["Body"].close()
        total = str(head.get("ContentRange") or "").rpartition("/")[2] or head["ContentLength"]
        if int(total) != int(item.size) or head.get("ContentType") != item.content_type:
            raise InvalidRequest("the uploaded file is not the one declared", field=field)
        refused = sniff(item.content_type, start)
        if refused:
            raise InvalidRequest(refused, field=field)


def read_uploads(pk: str, upload_ids: list[str]) -> dict[str, UploadItem]:
    """The upload records of this partition among `upload_ids`: one BatchGetItem (at most ten keys)."""
    from sideconv.store.records import uploads_of

    items = uploads_of(pk, upload_ids)
    now = clock.epoch_after(0)
    # TTL deletes lag expiry: an expired record is gone already as far as a message is concerned.
    return {item.id: item for item in items if item.expires_at is None or item.expires_at > now}


def link_signer(settings: Any) -> Any:
    """Locally: an S3 client that signs for the stack's stand-in (S3_UPLOAD_ENDPOINT), so a download link
    opens in the browser there (local.s3_post serves it); uploads and received mail alike."""
    import boto3
    from botocore.config import Config

    return boto3.client("s3", region_name=settings.region, endpoint_url=settings.s3_upload_endpoint,
                        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))


@built
def configured(wiring: Wiring) -> Uploads:
    """The container's uploads service, from its settings."""
    from sideconv import s3
    from sideconv.store import models

    settings = models.bound(wiring)  # the upload records are items of the table
    client = s3.client(wiring)
    if settings.s3_upload_endpoint is None:
        return Uploads(client, client, settings.uploads_bucket)
    return Uploads(client, link_signer(settings), settings.uploads_bucket)
