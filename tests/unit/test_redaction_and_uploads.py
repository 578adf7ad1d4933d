"""Masking quoted text (issue 16) and the checks on files to send, without AWS."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from sideconv import context, redaction, uploads
from sideconv.context import Quoted
from sideconv.email import mime
from sideconv.errors import InvalidRequest
from sideconv.slack import formatting


@pytest.mark.parametrize(("text", "kinds", "masked", "counts"), [
    ("Card 4111 1111 1111 1111, thanks", [], "Card [card number removed], thanks", {"card": 1}),
    ("Card 4111-1111-1111-1111", [], "Card [card number removed]", {"card": 1}),
    # Fails Luhn: an order or tracking number stays
    ("Order 4111 1111 1111 1112", [], "Order 4111 1111 1111 1112", {}),
    ("Order 123456789012", ["phone"], "Order 123456789012", {}),
    ("Call +44 20 7946 0958", ["phone"], "Call [phone removed]", {"phone": 1}),
    ("Call (415) 555-0134 or 0044 20 7946 0958", ["phone"], "Call [phone removed] or [phone removed]",
     {"phone": 2}),
    ("Call +44 20 7946 0958", [], "Call +44 20 7946 0958", {}),
    ("On 2026-12-02 at 09:12", ["phone"], "On 2026-12-02 at 09:12", {}),
    ("Total 12.50 EUR, order 1042", ["phone"], "Total 12.50 EUR, order 1042", {}),
    ("Mail maya.lopez+x@example.co.uk now", ["email"], "Mail [email removed] now", {"email": 1}),
    ("IBAN DE89 3704 0044 0532 0130 00.", ["iban"], "IBAN [IBAN removed].", {"iban": 1}),
    ("IBAN GB82WEST12345698765432", ["iban"], "IBAN [IBAN removed]", {"iban": 1}),
    # A bad check digit is no IBAN
    ("Ref GB00WEST12345698765432", ["iban"], "Ref GB00WEST12345698765432", {}),
])
def test_masking(text: str, kinds: list[str], masked: str, counts: dict[str, int]) -> None:
    found = redaction.redact(text, redaction.kinds_for(kinds))
    assert found.text == masked
    assert found.counts == counts


def test_card_numbers_are_masked_whatever_is_asked() -> None:
    assert "card" in redaction.kinds_for([])
    assert redaction.kinds_for(["phone", "email", "iban"]) == ["iban", "card", "email", "phone"]


def test_the_quote_is_bounded_in_all() -> None:
    with pytest.raises(InvalidRequest) as refused:
        context.check_size(["a" * 30_000, "b" * 30_000])
    assert refused.value.field == "context.1.body"
    context.check_size(["a" * 25_000, "b" * 25_000])


def test_attribution_reads_utc() -> None:
    quoted = Quoted("Maya Lopez", "customer", "2026-12-02T10:12:00+01:00", "hi")
    assert quoted.attribution() == "On 2 Dec 2026 09:12, Maya Lopez (customer) wrote:"


def test_slack_quotes_as_text() -> None:
    text = formatting.reply_text("See below <!channel>", [Quoted("Maya", "customer", "2026-12-02T09:12:00Z",
                                                                 "<script>x</script> & <@U123>\nline two")])
    assert text == ("See below &lt;!channel&gt;\n\n_On 2 Dec 2026 09:12, Maya (customer) wrote:_\n"
                    ">&lt;script&gt;x&lt;/script&gt; &amp; &lt;@U123&gt;\n>line two")


@pytest.mark.parametrize(("raw", "name"), [
    ("../../etc/passwd.pdf", "passwd.pdf"),
    ("C:\\temp\\a.pdf", "a.pdf"),
    ("a\r\nb.pdf", "ab.pdf"),
    ("\u202efdp.pdf", "fdp.pdf"),
    ("zero\u200bwidth.pdf", "zerowidth.pdf"),
    ("  ..hidden.pdf ", "hidden.pdf"),
    ("", "file"),
])
def test_file_names_are_sanitised(raw: str, name: str) -> None:
    assert uploads.sanitize_name(raw) == name


def test_a_long_name_keeps_its_ending() -> None:
    name = uploads.sanitize_name("x" * 300 + ".pdf")
    assert len(name) == uploads.MAX_NAME_LENGTH
    assert name.endswith(".pdf")


@pytest.mark.parametrize(("filename", "content_type", "field"), [
    ("a.exe", "application/pdf", "filename"),
    ("a.pdf.js", "text/plain", "filename"),
    ("a.bin", "application/octet-stream", "content_type"),
    ("a.svg", "image/svg+xml", "filename"),
    ("a.txt", "application/pdf", "filename"),
])
def test_refused_files(filename: str, content_type: str, field: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        uploads.check_file(filename, content_type, 10)
    assert refused.value.field == field


def test_a_file_over_25_mb_is_refused() -> None:
    with pytest.raises(InvalidRequest) as refused:
        uploads.check_file("a.pdf", "application/pdf", uploads.MAX_FILE_BYTES + 1)
    assert refused.value.field == "size"


class Counting(io.BytesIO):
    reads = 0

    def read(self, size: int | None = -1) -> bytes:
        Counting.reads += 1
        return super().read(size)


def test_streamed_files_are_read_in_chunks_and_arrive_whole() -> None:
    data = bytes(range(256)) * 20_000  # 5 MB: several chunks, a partial last line
    out = mime.Outbound(sender_address="s@x.example", sender_display="S", to=[mime.Recipient("a@b.example")],
                        cc=[], reply_to="r@x.example", subject="s", body="text", message_id="<m@x.example>",
                        context=[Quoted("Maya", "customer", "2026-12-02T09:12:00Z", "<b>hi</b>")])
    opened: list[str] = []

    def opener(name: str) -> Counting:
        opened.append(name)
        return Counting(data)

    raw = mime.build_raw(out, [mime.StreamedFile("a.pdf", "application/pdf", lambda: opener("a")),
                               mime.StreamedFile("b.pdf", "application/pdf", lambda: opener("b"))])
    assert opened == ["a", "b"]
    assert Counting.reads > 4
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    message = BytesParser(policy=policy.default).parsebytes(raw)
    for part in message.iter_attachments():
        assert part["Content-Transfer-Encoding"] == "base64"
        assert max(len(line) for line in str(part.get_payload()).splitlines()) == 76
    assert [p.get_content() for p in message.iter_attachments()] == [data, data]
    assert "&lt;b&gt;hi&lt;/b&gt;" in message.get_body(("html",)).get_content()  # type: ignore[union-attr]


CASES = Path(__file__).parent.parent / "fixtures" / "redaction_cases.json"


@pytest.mark.parametrize(("text", "kinds", "masked"), json.loads(CASES.read_text()))
def test_held_out_masking(text: str, kinds: list[str], masked: str) -> None:
    assert redaction.redact(text, redaction.kinds_for(kinds)).text == masked


@pytest.mark.skipif(shutil.which("node") is None, reason="the panel's preview is checked with node")
def test_the_panel_preview_masks_as_the_service_does() -> None:
    # Given the same cases through the panel's own module (its preview is "exactly what the recipient gets")
    module = Path(__file__).parents[2] / "panel" / "js" / "context-picker.js"
    script = (f"const {{ redact }} = await import({json.dumps(module.as_uri())});"
              f"const cases = {CASES.read_text()};"
              "console.log(JSON.stringify(cases.map(([text, kinds]) => redact(text, kinds))));")
    ran = subprocess.run(["node", "--input-type=module", "-e", script], capture_output=True, text=True,
                         timeout=30, check=True)
    panel = json.loads(ran.stdout)
    # Then each masked text and each count is the service's
    for (text, kinds, _), seen in zip(json.loads(CASES.read_text()), panel, strict=True):
        service = redaction.redact(text, redaction.kinds_for(kinds))
        assert (seen["text"], seen["counts"]) == (service.text, service.counts), text


def test_masking_a_pathological_quote_stays_quick() -> None:
    import time

    # The work this process did, not the wall clock: on a machine shared with other test runs the
    # wall clock measures them too (this took 6 s of wall on a quiet machine, 13 s beside four others).
    started = time.process_time()
    for blob in ("1 " * 25_000, "1-" * 25_000, "DE89 " * 10_000, "+1 " * 16_000):
        redaction.redact(blob, redaction.kinds_for(["email", "phone", "iban"]))
    assert time.process_time() - started < 10


@pytest.mark.skipif(shutil.which("node") is None, reason="the panel's wording is checked with node")
def test_the_panel_says_when_a_sent_message_left_its_files_behind() -> None:
    module = Path(__file__).parents[2] / "panel" / "js" / "format.js"
    script = (f"const {{ deliveryText }} = await import({json.dumps(module.as_uri())});"
              "console.log(JSON.stringify([deliveryText({status: 'sent', detail: 'files not shared: not_allowed'}),"
              "deliveryText({status: 'sent'}), deliveryText({status: 'pending', detail: 'x'})]));")
    ran = subprocess.run(["node", "--input-type=module", "-e", script], capture_output=True, text=True,
                         timeout=30, check=True)
    assert json.loads(ran.stdout) == ["Sent: files not shared: not_allowed", "Sent", "Sending"]
