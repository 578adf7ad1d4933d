"""Masking a customer's personal data before quoted text leaves the service.

Four kinds, found in this order so that one value is masked once, by what it most precisely is:
IBANs (ISO 13616, the mod-97 check), payment card numbers (13 to 19 digits passing the Luhn sum),
e-mail addresses, phone numbers. Card numbers are masked whatever the caller asked for. The checksums
keep what only looks like a number of that kind: an order number fails Luhn, a reference fails mod 97.

A phone number is 7 to 15 digits (E.164's most) written as a phone is written: with a leading `+`,
or in groups with spaces, dots, dashes or brackets. A bare run of digits is not one (an order or
ticket number), nor is a date (with or without its time), an IP address, a version, a number inside a
reference ("ORD-2026-000123") or right after "order", "invoice", "ref", "#" and the like.

The panel's preview (panel/js/context-picker.js) mirrors these rules; tests/fixtures/redaction_cases.json
is run through both, so the preview cannot drift from what is sent.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

KINDS = ("email", "phone", "card", "iban")
ALWAYS = frozenset({"card"})
MASKS = {"email": "[email removed]", "phone": "[phone removed]", "card": "[card number removed]",
         "iban": "[IBAN removed]"}

# IBANs are matched in either case ("de89 3704 …" is as much an IBAN); a candidate runs on into the
# next word, so the checks try its spans at group boundaries (`_spans`), longest first.
_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?:[ ]?[A-Za-z0-9]){11,30}(?![A-Za-z0-9])")
_CARD = re.compile(r"(?<![\d.,])\d(?:[ -]?\d){12,}(?!\d|[.,]\d)")
_EMAIL = re.compile(r"(?<![\w.%+-])[\w.%+-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+")
# Not inside a word or a reference ("ORD-2026-…", "#1234…", "…/2026"), nor next to a time ("09:12").
_PHONE = re.compile(r"(?<![\w+#/.\-])(?<!\d:)(?:\+|00)?\(?\d+\)?(?:[ .\-/]{1,2}\(?\d+\)?)*(?![\w:]|[.,]\d)")
_DATE = re.compile(r"^\d{4}[./-]\d{1,2}[./-]\d{1,2}$|^\d{1,2}[./-]\d{1,2}[./-]\d{2,4}$")
_IP = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")
# A number right after one of these words is a reference, however it is grouped.
_REFERENCE = re.compile(r"(?:\b(?:order|invoice|ref|reference|ticket|case|tracking|booking|confirmation|po|sku|id)"
                        r"\b\W{0,3}|#\s?)$", re.IGNORECASE)


@dataclass(frozen=True)
class Redacted:
    text: str
    counts: dict[str, int]


def luhn(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def iban_valid(candidate: str) -> bool:
    compact = candidate.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]+", compact):
        return False
    if not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    number = "".join(str(int(char, 36)) for char in rearranged)
    return int(number) % 97 == 1


def _card_digits(candidate: str) -> bool:
    digits = re.sub(r"\D", "", candidate)
    return 13 <= len(digits) <= 19 and luhn(digits)


def _phone(match: re.Match[str]) -> bool:
    value = match.group()
    digits = re.sub(r"\D", "", value)
    if not 7 <= len(digits) <= 15 or _DATE.match(value) or _IP.match(value):
        return False
    if _REFERENCE.search(match.string, 0, match.start()):
        return False
    prefixed = value.startswith(("+", "00", "("))
    groups = re.findall(r"\d+", value)
    # "1.2.3.4.5.6.7" is a version, not a phone: past the first, no group of one digit.
    if not prefixed and any(len(group) == 1 for group in groups[1:]):
        return False
    # Written as a phone: an international prefix, or digits in groups.
    return prefixed or len(groups) > 1


def _spans(candidate: str, valid: Callable[[str], bool], longest: int) -> list[tuple[int, int]]:
    """The valid spans of a candidate, cut at its spaces and dashes: the earliest start, then the longest
    end, and again after it. "4111 1111 1111 1111 123" (a card and its CVC) is a card and a rest; "12
    4111 1111 1111 1111" a rest and a card; "DE89 3704 0044 0532 0130 00 please" an IBAN and a word."""
    cuts = [0] + [m.end() for m in re.finditer(r"[ -]", candidate)]
    ends = [m.start() for m in re.finditer(r"[ -]", candidate)] + [len(candidate)]
    found: list[tuple[int, int]] = []
    after = 0
    for start in cuts:
        if start < after:
            continue
        near = ends[bisect.bisect_right(ends, start):bisect.bisect_right(ends, start + longest)]
        end = next((end for end in reversed(near) if valid(candidate[start:end])), None)
        if end is not None:
            found.append((start, end))
            after = end
    return found


# With the longest a span can be: 34 characters and a space every 4; 19 digits and a separator each.
_SPANNED: dict[str, tuple[re.Pattern[str], Callable[[str], bool], int]] = {
    "iban": (_IBAN, iban_valid, 42),
    "card": (_CARD, _card_digits, 37),
}
_FINDERS: dict[str, tuple[re.Pattern[str], Callable[[re.Match[str]], bool]]] = {
    "email": (_EMAIL, lambda m: True),
    "phone": (_PHONE, _phone),
}


def kinds_for(requested: Iterable[str]) -> list[str]:
    """What is masked for a request: what it names, and always card numbers; in finding order."""
    wanted = set(requested) | ALWAYS
    return [kind for kind in ("iban", "card", "email", "phone") if kind in wanted]


def redact(text: str, kinds: Iterable[str]) -> Redacted:
    counts: dict[str, int] = {}
    for kind in kinds:
        if kind in _SPANNED:
            text, found = _redact_spans(text, kind)
            if found:
                counts[kind] = found
            continue
        pattern, valid = _FINDERS[kind]
        found = 0

        def mask(match: re.Match[str], kind: str = kind, valid: Callable[[re.Match[str]], bool] = valid) -> str:
            nonlocal found
            if not valid(match):
                return match.group()
            found += 1
            return MASKS[kind]

        text = pattern.sub(mask, text)
        if found:
            counts[kind] = found
    return Redacted(text, counts)


def _redact_spans(text: str, kind: str) -> tuple[str, int]:
    pattern, valid, longest = _SPANNED[kind]
    found = 0

    def mask(match: re.Match[str]) -> str:
        nonlocal found
        candidate = match.group()
        out, at = [], 0
        for start, end in _spans(candidate, valid, longest):
            out += [candidate[at:start], MASKS[kind]]
            at = end
            found += 1
        return "".join(out) + candidate[at:]

    return pattern.sub(mask, text), found
