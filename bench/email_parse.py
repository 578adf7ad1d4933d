"""Figure 5: a 100 KB reply parsed and stripped, and the peak memory of a 20 MB message with attachments."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

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
       "same process's peak after the imports and the raw bytes, before parsing.")

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
    ours_s: list[float] = []
    floor_s: list[float] = []
    for _ in range(RUNS):
        for fn, out in ((ours, ours_s), (floor, floor_s)):
            start = time.perf_counter()
            fn()
            out.append(time.perf_counter() - start)
    value, base = median(ours_s), median(floor_s)
    return Figure("5", f"email parse + strip, {size(len(raw))} reply", f"< {PARSE_BUDGET_S * 1000:.0f} ms",
                  ms(value), check(value, PARSE_BUDGET_S, strict=True), floor=f"{ms(base)} (stdlib parse only)",
                  ratio=ratio(value, base), raw={"runs_s": ours_s, "floor_s": floor_s, "bytes": len(raw)})


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
                                (memory_figure, "email peak memory", "< 512 MB")):
        try:
            figures.append(build())
        except Exception as exc:
            figures.append(broken("5", name, budget, exc))
    return figures
