"""Figure 5: a 100 KB reply parsed and stripped, and the peak memory of a 20 MB message with attachments."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable

from bench import scenario
from bench.core import ROOT, Figure, check, median, ms, ratio, size

PARSE_BUDGET_S = 0.020
MEMORY_BUDGET = 512 * 1024 * 1024
RUNS = 31
HOW = ("Parse: the corpus's Gmail reply grown with quoted history to 100 KB, through "
       "`sideconv.email.parse.parse` and `sideconv.email.reply_text.new_text` in-process, warm, median of "
       f"{RUNS} runs; floor: the standard library alone (`BytesParser(policy=default)` and `get_body().get_content()`) "
       "on the same bytes. Memory: a fresh subprocess builds a 20 MB message (text reply, 3 binary "
       "attachments, base64) and parses and strips it; peak = the process's peak resident set (`VmHWM` of "
       "/proc/self/status; `ru_maxrss` without /proc: Linux carries that one over fork and exec from the parent) "
       "at the end (the whole process: interpreter, modules, the raw bytes and the parsed parts); floor: the "
       "same process's peak after the imports and the raw bytes, before parsing. HTML: an HTML-only reply "
       "(tests/fixtures/email/html/gmail_signature.eml) grown to 100 KB with quoted history in Outlook's Word "
       "markup (paragraphs, spans, links) inside Gmail's quote container: the slow path, since text may follow "
       "that container and so the whole markup is sanitized and converted (Outlook's own quoted original is "
       "cut before conversion); parsed and stripped the same way, "
       f"median of {RUNS}; floor: the standard library's `HTMLParser` alone reading the same markup (no text built). "
       "Reply text right: every mail the project holds (tests/fixtures/email by failure class, and the shared "
       "corpus) read as `ingest_email` reads it and compared with its recorded expectation "
       "(bench/email_conformance.py); budget: all of them.")
HTML_FIXTURE = ROOT / "tests" / "fixtures" / "email" / "html" / "gmail_signature.eml"
_OUTLOOK_PARAGRAPH = ('<p class="MsoNormal"><span style="font-size:11.0pt;font-family:Calibri,sans-serif;">'
                      'Earlier text of the thread, with a <b>bold</b> word and <a href="https://x.example/a?b=c">a '
                      'link</a> in it.<o:p></o:p></span></p>\n')

_MEMORY_SCRIPT = r"""
import json, os, resource, sys


def peak():
    # VmHWM belongs to this process's address space (exec starts a new one); ru_maxrss does not:
    # Linux carries it over from the parent across fork and exec, so a large parent would show.
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


from email.message import EmailMessage
from email import policy
from sideconv.email.parse import parse
from sideconv.email.reply_text import new_text

message = EmailMessage()
message["From"] = "Finance Team <finance@vendor.example>"
message["To"] = "sc.x@reply.example.com"
message["Subject"] = "Re: Refund approval"
message["Message-ID"] = "<big.1@vendor.example>"
message.set_content("Approved, the signed forms are attached.\n\n" + "> quoted history line\n" * 2000)
each = int(sys.argv[1]) // 3 * 3 // 4  # base64 grows 4/3: the raw message is about the target
for n in range(3):
    message.add_attachment(os.urandom(each), maintype="application", subtype="pdf", filename=f"form-{n}.pdf")
raw = message.as_bytes(policy=policy.SMTP)
del message
before = peak()
mail = parse(raw)
text = new_text(mail.text)
sizes = [p.size for p in mail.attachments]
print(json.dumps({"raw": len(raw), "before": before, "peak": peak(), "attachments": sizes, "text": len(text)}))
"""


def reply_100kb() -> bytes:
    mails, _ = scenario.corpus_mails()
    chosen = dict(mails).get("talon_gmail_reply.eml") or mails[0][1]
    return scenario.pad(chosen, 100 * 1024)


def parse_figure() -> Figure:
    from email import policy
    from email.parser import BytesParser

    from sideconv.email.parse import parse
    from sideconv.email.reply_text import new_text

    raw = reply_100kb()

    def ours() -> None:
        new_text(parse(raw).text)

    def floor() -> None:
        message = BytesParser(policy=policy.default).parsebytes(raw)
        body = message.get_body(preferencelist=("plain", "html"))
        if body is not None:
            body.get_content()

    ours()
    floor()
    return _timed(f"{size(len(raw))} reply", ours, floor, "stdlib parse only", len(raw))


def _timed(what: str, ours: Callable[[], None], floor: Callable[[], None], floor_name: str, length: int) -> Figure:
    """Our parse and its floor, interleaved RUNS times each; medians against the parse budget."""
    ours_s: list[float] = []
    floor_s: list[float] = []
    for _ in range(RUNS):
        for fn, out in ((ours, ours_s), (floor, floor_s)):
            start = time.perf_counter()
            fn()
            out.append(time.perf_counter() - start)
    value, base = median(ours_s), median(floor_s)
    return Figure("5", f"email parse + strip, {what}", f"< {PARSE_BUDGET_S * 1000:.0f} ms",
                  ms(value), check(value, PARSE_BUDGET_S, strict=True), floor=f"{ms(base)} ({floor_name})",
                  ratio=ratio(value, base), raw={"runs_s": ours_s, "floor_s": floor_s, "bytes": length})


def html_reply_100kb() -> bytes:
    """The Gmail HTML-only fixture with about 100 KB of quoted thread inside its quote container."""
    import quopri

    raw = HTML_FIXTURE.read_bytes().replace(b"\r\n", b"\n")
    head, _, body = raw.partition(b"\n\n")
    markup = quopri.decodestring(body).decode()
    at = markup.index("Can we meet Thursday?")
    history = _OUTLOOK_PARAGRAPH * (100 * 1024 // len(_OUTLOOK_PARAGRAPH))
    grown = markup[:at] + history + markup[at:]
    return head.replace(b"quoted-printable", b"8bit") + b"\n\n" + grown.encode()


def html_figure() -> Figure:
    from html.parser import HTMLParser

    from sideconv.email.parse import parse
    from sideconv.email.reply_text import new_text

    raw = html_reply_100kb()
    markup = raw.partition(b"\n\n")[2].decode()
    if parse(raw).reply_source()[1] or new_text(parse(raw).reply_source()[0]) != "Works for me, see you Thursday.":
        raise AssertionError("the 100 KB HTML reply no longer reads right")

    def ours() -> None:
        new_text(parse(raw).reply_source()[0])

    def floor() -> None:
        reader = HTMLParser()
        reader.feed(markup)
        reader.close()

    return _timed(f"{size(len(raw))} HTML-only reply", ours, floor, "HTMLParser alone", len(raw))


def conformance_figure() -> Figure:
    from bench.email_conformance import score

    scores = score()
    right = sum(r for r, _, _ in scores.values())
    total = sum(t for _, t, _ in scores.values())
    per_class = ", ".join(f"{kind} {r}/{t}" for kind, (r, t, _) in scores.items())
    wrong = [w for _, _, found in scores.values() for w in found]
    return Figure("5", "reply text right", f"{total}/{total}", f"{right}/{total}", "pass" if right == total else "FAIL",
                  note=per_class + ("; wrong: " + " | ".join(wrong) if wrong else ""),
                  raw={kind: {"right": r, "total": t, "wrong": found} for kind, (r, t, found) in scores.items()})


def memory_figure(target: int = 20 * 1024 * 1024) -> Figure:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "layers"), str(ROOT)])}
    done = subprocess.run([sys.executable, "-c", _MEMORY_SCRIPT, str(target)], env=env, capture_output=True,  # noqa: S603
                          text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    peak, before = int(result["peak"]), int(result["before"])
    return Figure("5", f"email peak memory, {size(result['raw'])} message with 3 attachments",
                  f"< {size(MEMORY_BUDGET)}", f"{size(peak)} (peak RSS, VmHWM)",
                  check(peak, MEMORY_BUDGET, strict=True),
                  floor=f"{size(before)} (raw in memory, before parsing)", ratio=ratio(peak, before), raw=result)


def run() -> list[Figure]:
    from bench.core import broken

    if not (ROOT / "layers" / "sideconv" / "email" / "parse.py").is_file():
        from bench.core import missing

        return [missing("5", "email parse + strip", "< 20 ms", "layers/sideconv/email/parse.py does not exist"),
                missing("5", "email peak memory", "< 512 MB", "layers/sideconv/email/parse.py does not exist")]
    figures = []
    for build, name, budget in ((parse_figure, "email parse + strip", "< 20 ms"),
                                (html_figure, "email parse + strip, HTML-only reply", "< 20 ms"),
                                (conformance_figure, "reply text right", "all"),
                                (memory_figure, "email peak memory", "< 512 MB")):
        try:
            figures.append(build())
        except Exception as exc:
            figures.append(broken("5", name, budget, exc))
    return figures
