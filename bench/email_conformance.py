"""Conformance: does the receiving path read each mail the project holds right? The fixtures in
tests/fixtures/email (one folder per failure class: mime, html, charset, language, bounce), the
held-out set in tests/fixtures/email/heldout (written apart from the others, without reading them, in
the shapes many clients produce; class "heldout", its own expected.json) and the shared corpus
(../shared/corpus/email, class "corpus"), each with its expectation:

- `expect`: the new reply text, exactly (what `build_message` stores as the body);
- `contains` / `lacks`: text (or a list of texts) the body must and must not hold;
- `attachments`: the names of the parts kept as attachments, in order;
- `bounce`: the failed recipient, the returned mail's Message-ID, the status and the server's
  diagnostic (a part of it); `null` for a notice
  that is not a failure (a delay warning, an out-of-office), which must stay an automatic reply.

Read through `sideconv.email.parse.parse` and `sideconv.email.reply_text.new_text`, no AWS: the same
calls `ingest_email` makes, so a regression in either shows here. `make bench` prints the score.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "email"
CORPUS = ROOT / ".." / "shared" / "corpus" / "email"
CLASSES = ("mime", "html", "charset", "language", "bounce", "heldout", "corpus")
HELDOUT = FIXTURES / "heldout"


@dataclass(frozen=True)
class Case:
    name: str
    kind: str  # the failure class
    path: Path
    expected: dict[str, Any]


def cases(corpus: Path = CORPUS) -> list[Case]:
    found = [Case(name, str(spec["class"]), FIXTURES / name, spec)
             for name, spec in json.loads((FIXTURES / "expected.json").read_text()).items()]
    found += [Case(name, str(spec["class"]), FIXTURES / name, spec)
              for name, spec in json.loads((HELDOUT / "expected.json").read_text()).items()]
    if corpus.is_dir():
        expected = json.loads((FIXTURES / "corpus.json").read_text())
        found += [Case(path.name, "corpus", path, expected.get(path.name, {}))
                  for path in sorted(corpus.glob("*.eml"))]
    return found


def body_of(raw: bytes) -> tuple[Any, str]:
    """The parsed mail and the body `ingest_email` would store for it."""
    from sideconv.email.parse import parse
    from sideconv.email.reply_text import new_text

    mail = parse(raw)
    source, _ = mail.reply_source()
    return mail, (new_text(source) if source.strip() else "").replace("\u00a0", " ")


def _texts(value: str | list[str] | None) -> list[str]:
    return [] if value is None else [value] if isinstance(value, str) else value


def problems(case: Case) -> Iterator[str]:
    """What this mail reads wrong; nothing when it reads right."""
    try:
        mail, body = body_of(case.path.read_bytes())
    except Exception as exc:  # a crash is a wrong read, and the score says which mail
        yield f"crashed: {type(exc).__name__}: {exc}"
        return
    spec = case.expected
    if not spec:
        yield "no expectation recorded (tests/fixtures/email/corpus.json)"
    if "bounce" in spec:
        wanted = spec["bounce"]
        if wanted is None:
            if mail.bounce is not None:
                yield f"taken for a bounce: {mail.bounce.detail}"
            if spec.get("auto_reply") and not mail.auto_reply:
                yield "not flagged as an automatic reply"
        elif mail.bounce is None:
            yield "bounce not recognised"
        else:
            if wanted["recipient"] not in mail.bounce.recipients:
                yield f"bounced recipient {mail.bounce.recipients} != {wanted['recipient']}"
            if mail.bounce.original_ids[:1] != [wanted["original"]]:
                yield f"returned Message-ID {mail.bounce.original_ids[:1]} != {wanted['original']}"
            if wanted.get("status") and mail.bounce.status != wanted["status"]:
                yield f"status {mail.bounce.status!r} != {wanted['status']!r}"
            if wanted.get("diagnostic", "") not in mail.bounce.diagnostic or not mail.bounce.diagnostic:
                yield f"diagnostic {mail.bounce.diagnostic!r} lacks {wanted.get('diagnostic')!r}"
    elif mail.bounce is not None:
        yield f"a reply taken for a bounce: {mail.bounce.detail}"
    if "expect" in spec and body != spec["expect"]:
        yield f"body {body!r} != {spec['expect']!r}"
    for part in _texts(spec.get("contains")):
        if part not in body:
            yield f"body lacks {part!r}: {body[:200]!r}"
    for part in _texts(spec.get("lacks")):
        if part in body:
            yield f"body still holds {part!r}"
    if ("expect" in spec or "contains" in spec) and re.search(r"(?m)^>", body):
        yield "quoted lines left in the body"
    if "attachments" in spec:
        names = [part.name for part in mail.attachments]
        wanted_names = [a[0] if isinstance(a, list) else a for a in spec["attachments"]]
        if names != wanted_names:
            yield f"attachments {names} != {wanted_names}"


def score(corpus: Path = CORPUS) -> dict[str, tuple[int, int, list[str]]]:
    """Per class: (right, total, what the wrong ones read wrong)."""
    out: dict[str, tuple[int, int, list[str]]] = {}
    for case in cases(corpus):
        right, total, wrong = out.get(case.kind, (0, 0, []))
        found = list(problems(case))
        if found:
            wrong = [*wrong, f"{case.name}: {'; '.join(found)}"]
        out[case.kind] = (right + (not found), total + 1, wrong)
    return {kind: out[kind] for kind in CLASSES if kind in out}
