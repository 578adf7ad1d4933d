"""Delivery failures that come back by mail, not as SES events: RFC 3464 reports
(`multipart/report; report-type=delivery-status`) and the plain-text notices many servers still send
(Gmail's "Delivery Status Notification (Failure)", qmail's "Hi. This is the qmail-send program",
Yahoo's "Message not delivered", Exim's "Mail delivery failed: returning message to sender",
Postfix's "Undelivered Mail Returned to Sender", Exchange's "Undeliverable:").

A bounce is never a reply: `sideconv.email.inbound` marks the outbound message it returns `bounced`
with the failed recipient and the server's diagnostic, found by the Message-ID of the returned message
(its headers travel in a `message/rfc822` or `text/rfc822-headers` part, or quoted in the text).
A delay warning or a success report is not a failure; it stays an automatic reply.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import NamedTuple

_ADDRESS = r"[A-Za-z0-9._%+'=-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"


class _Patterns(NamedTuple):
    daemon_local: re.Pattern[str]
    daemon_name: re.Pattern[str]
    failure_subject: re.Pattern[str]
    delay_subject: re.Pattern[str]
    delay_text: re.Pattern[str]
    failure_text: re.Pattern[str]
    dsn_field: re.Pattern[str]
    recipients: list[re.Pattern[str]]
    technical_details: re.Pattern[str]
    smtp_reply: re.Pattern[str]
    qmail_reason: re.Pattern[str]
    message_id_line: re.Pattern[str]
    copy_marker: re.Pattern[str]


@cache
def _rx() -> _Patterns:
    """The notices' patterns, compiled on first use: many languages' subjects, case-insensitive, cost
    milliseconds to compile that a cold start would otherwise pay before any mail is read."""
    return _Patterns(
        daemon_local=re.compile(r"^(?:mailer-daemon|postmaster|mail-daemon|maildaemon|mailerdaemon|bounces?|"
                                r"mail-delivery-subsystem|noreply-dsn|double-bounce)$", re.IGNORECASE),
        daemon_name=re.compile(r"mail delivery (?:subsystem|system|service)|mailer[- ]daemon|postmaster|"
                               r"mail administrator|delivery status", re.IGNORECASE),
        failure_subject=re.compile(
            r"delivery status notification \(failure\)|undeliver(?:ed|able)|undelivered mail|returned mail|"
            r"mail delivery failed|delivery (?:has )?failed|delivery failure|failure notice|message not delivered|"
            r"non[- ]?deliver|could not be delivered|mail system error|"
            r"unzustellbar|nicht zustellbar|non remis|non distribuable|no se puede entregar|no entregado|"
            r"onbestelbaar|non recapitabile|não entregue|olevererbar|kan ikke leveres|ei voitu toimittaa|"
            r"nie można dostarczyć|nedoručitelné|не доставлено|недоставлен", re.IGNORECASE),
        delay_subject=re.compile(r"\(delay\)|delayed|warning: message|still being retried|verzögert", re.IGNORECASE),
        # A warning that delivery is still being tried ("** Message not delivered yet **"): no failure.
        delay_text=re.compile(r"not (?:been )?delivered yet|has not yet been delivered|this is a warning only|"
                              r"will (?:continue to )?retry for|delivery attempts will continue|"
                              r"no action is required on your part|still (?:being )?retr(?:y|ied)", re.IGNORECASE),
        failure_text=re.compile(
            r"this is the qmail-send program|address not found|wasn't delivered|was not delivered|"
            r"couldn't be delivered|could not be delivered|unable to deliver|"
            r"delivery to the following recipients? failed|"
            r"permanent(?:ly)? (?:error|failure|fatal)|this is the mail system at host|returning message to sender|"
            r"message not delivered|undeliverable|user unknown|no such user|mailbox unavailable|does not exist|"
            r"recipient address rejected|delivery has failed|failed permanently", re.IGNORECASE),
        dsn_field=re.compile(r"^([A-Za-z-]+):[ \t]*(.*(?:\n[ \t]+.*)*)", re.MULTILINE),
        # Where the notices name the address that failed.
        recipients=[
            re.compile(rf"^\s*<({_ADDRESS})>:", re.MULTILINE),  # qmail, Postfix, Yahoo
            re.compile(rf"(?:wasn't|was not|couldn't be|could not be) delivered to\s+<?({_ADDRESS})", re.IGNORECASE),
            re.compile(rf"following (?:address|recipient)[^\n]*\n(?:\s*\n)*\s*<?({_ADDRESS})", re.IGNORECASE),
            re.compile(rf"^[ \t]{{2,}}<?({_ADDRESS})>?[ \t]*$", re.MULTILINE),  # Exim
            re.compile(rf"(?:RCPT TO:?|recipient:?|to:)\s*<({_ADDRESS})>", re.IGNORECASE),
            re.compile(rf"^\s*(?:failed |final[- ])?recipients?(?: address(?:es)?)?:[ \t]*<?({_ADDRESS})",
                       re.IGNORECASE | re.MULTILINE),  # "Recipient: x@y" (Mimecast-style notices)
            re.compile(rf"failed[^\n]{{0,60}}:\s*<?({_ADDRESS})", re.IGNORECASE),  # "Delivery failed 10 attempts: x@y"
            # In any language: a line ending in ':' and, below it, a line that is only an address
            # ("Die Zustellung an folgende Empfänger … ist fehlgeschlagen:" / "x@y").
            re.compile(rf":[ \t]*\n(?:[ \t]*\n)*[ \t]*<?({_ADDRESS})>?[ \t]*$", re.MULTILINE),
        ],
        # Gmail's older notice: "Technical details of permanent failure:" and the reason on the next line.
        technical_details=re.compile(r"technical details of (?:permanent|temporary) failure:\s*\n\s*([^\n]+)",
                                     re.IGNORECASE),
        # The reply a server gave, with the lines it continues on: more "550-" lines, or (Postfix wraps
        # "said: 550 5.1.1" onto indented lines) the indented lines below a line it ends.
        smtp_reply=re.compile(r"\b([45]\d\d[ :-](?:[45]\.\d{1,3}\.\d{1,3})?[^\n]*"
                              r"(?:\n[ \t]*[45]\d\d[ -][^\n]*|\n[ \t]+(?![45]\d\d\b)\S[^\n]*)*)"),
        qmail_reason=re.compile(r"^(?!\s*<)([^\n]*\(#[45]\.\d{1,3}\.\d{1,3}\)[^\n]*)", re.MULTILINE),
        message_id_line=re.compile(r"^[ \t>]*Message-ID:[ \t]*\n?[ \t]*(<[^<>\s]+>)", re.IGNORECASE | re.MULTILINE),
        copy_marker=re.compile(r"below this line is a copy of the message|this is a copy of the message|"
                               r"original message (?:follows|headers)|^-+ ?(?:original|returned) message ?-+|"
                               # Exchange's "Original message headers:" in its other languages
                               r"^(?:ursprüngliche nachrichtenköpfe|en-têtes de message d'origine|"
                               r"encabezados del mensaje original|intestazioni (?:del messaggio )?originali|"
                               r"oorspronkelijke berichtkoppen|cabeçalhos da mensagem original)|"
                               r"^Original-Envelope-Id|^Reporting-MTA", re.IGNORECASE | re.MULTILINE),
    )


@dataclass(frozen=True)
class Bounce:
    recipients: list[str]
    diagnostic: str
    # Message-IDs of the returned mail first (ours), then the ids the notice itself answers.
    original_ids: list[str]
    status: str = ""  # RFC 3463 status, "5.1.1", when the notice gives one

    @property
    def detail(self) -> str:
        """As `email_events` writes an SES bounce: `<type>: <recipient> (<diagnostic>)`."""
        kind = "Permanent" if not self.status.startswith("4") else "Transient"
        who = ", ".join(self.recipients) or "unknown recipient"
        return f"{kind}/mail: {who} ({self.diagnostic})" if self.diagnostic else f"{kind}/mail: {who}"


def from_daemon(sender: str, display_name: str) -> bool:
    """Sent by a mail server itself (MAILER-DAEMON, postmaster, "Mail Delivery Subsystem"): whatever it
    says, a notice and never a person's reply."""
    return bool(_rx().daemon_local.match(sender.partition("@")[0]) or _rx().daemon_name.search(display_name))


def looks_like_bounce(*, sender: str, display_name: str, subject: str, content_type: str, report_type: str,
                      text: str) -> bool:
    """A failure notice: a delivery report or a daemon's notice, saying delivery failed."""
    if content_type == "multipart/report" and report_type.lower() == "delivery-status":
        return True  # a report's Action field tells failure from delay or success (read_report)
    daemon = from_daemon(sender, display_name)
    failed_subject = bool(_rx().failure_subject.search(subject)) and not _rx().delay_subject.search(subject)
    if _rx().delay_subject.search(subject) and not _rx().failure_text.search(text[:4000]):
        return False
    if _rx().delay_text.search(text[:4000]):
        return False
    if daemon and failed_subject:
        return True
    return (daemon or failed_subject) and bool(_rx().failure_text.search(text[:4000]))


def dsn_fields(report: str) -> list[dict[str, str]]:
    """The per-recipient groups of a `message/delivery-status` body (RFC 3464), field names lower-case."""
    groups: list[dict[str, str]] = []
    for block in re.split(r"\n[ \t]*\n", report.replace("\r\n", "\n")):
        fields = {name.lower(): " ".join(value.split()) for name, value in _rx().dsn_field.findall(block)}
        if fields:
            groups.append(fields)
    return groups


def _address(value: str) -> str:
    found = re.search(_ADDRESS, value)
    return found.group(0) if found else value.strip()


def read_bounce(*, text: str, report: str | None, returned_ids: list[str], notice_ids: list[str],
                ignore: frozenset[str] = frozenset(), shown: str | None = None) -> Bounce | None:
    """What failed, from the report when there is one, else from the notice's text (`shown`: that text
    as a reader sees it, HTML converted; `text` as it came). None for a report that says nothing
    failed (a delay warning or a delivery confirmation)."""
    recipients: list[str] = []
    diagnostic = status = ""
    if report is not None:
        groups = [g for g in dsn_fields(report) if "final-recipient" in g or "original-recipient" in g]
        failed = [g for g in groups if g.get("action", "failed").lower() == "failed"]
        if groups and not failed:
            return None
        for group in failed:
            recipients.append(_address(group.get("final-recipient") or group.get("original-recipient", "")))
            status = status or group.get("status", "")
            code = group.get("diagnostic-code", "")
            diagnostic = diagnostic or code.split(";", 1)[-1].strip()
    human = _before_copy(text if shown is None else shown)
    if not recipients:
        for pattern in _rx().recipients:
            recipients = [a for a in pattern.findall(human) if a.lower() not in ignore]
            if recipients:
                break
    if not recipients:  # in words no pattern knows ("n'a pas pu être remis à x@y"): the one address named
        named = {a.lower() for a in re.findall(_ADDRESS, _rx().message_id_line.sub("", human))} - ignore
        named = {a for a in named if not _rx().daemon_local.match(a.partition("@")[0])}
        recipients = sorted(named) if len(named) == 1 else []
    if not diagnostic:
        rx = _rx()
        found = rx.smtp_reply.search(human) or rx.technical_details.search(human) or rx.qmail_reason.search(human)
        diagnostic = " ".join(found.group(1).split()) if found else _first_reason(human)
    if not status:
        enhanced = re.search(r"\b([45]\.\d{1,3}\.\d{1,3})\b", diagnostic)
        status = enhanced.group(1) if enhanced else ("4" if re.match(r"4\d\d\b", diagnostic) else "")
    # The copy of the returned mail names its Message-ID (the notice's own words never do).
    quoted = [*_rx().message_id_line.findall(text), *_rx().message_id_line.findall(shown or "")]
    ids = list(dict.fromkeys([*returned_ids, *quoted, *notice_ids]))
    return Bounce(list(dict.fromkeys(recipients)), diagnostic[:500], ids, status)


def _before_copy(text: str) -> str:
    """The notice's own words: the text before the copy of the returned message starts."""
    found = _rx().copy_marker.search(text)
    return text[:found.start()] if found else text


def _first_reason(text: str) -> str:
    for line in text.split("\n"):
        if _rx().failure_text.search(line):
            return " ".join(line.split())[:300]
    return ""
