"""Masking a customer's personal data before quoted text leaves the service.

Four kinds, found in this order so that one value is masked once, by what it most precisely is:
IBANs (ISO 13616, the mod-97 check), payment card numbers (13 to 19 digits passing the Luhn sum),
e-mail addresses, phone numbers. Card numbers are masked whatever the caller asked for. The checksums
keep what only looks like a number of that kind: an order number fails Luhn, a reference fails mod 97.

A phone number is 7 to 15 digits (E.164's most) written as a phone is written: with a leading `+`,
or in groups with spaces, dots, dashes or brackets. A bare run of digits is not one (an order or
ticket number), nor is an ISO date.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

KINDS = ("email", "phone", "card", "iban")
ALWAYS = frozenset({"card"})
MASKS = {"email": "[email removed]", "phone": "[phone removed]", "card": "[card number removed]",
         "iban": "[IBAN removed]"}

_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}(?![A-Za-z0-9])")
_CARD = re.compile(r"(?<![\d.,])\d(?:[ -]?\d){12,18}(?![\d.,]\d)")
_EMAIL = re.compile(r"(?<![\w.%+-])[\w.%+-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+")
_PHONE = re.compile(r"(?<![\w+])(?:\+|00)?\(?\d[\d]*\)?(?:[ .\-/]{1,2}\(?\d+\)?)*(?![\w])")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$|^\d{1,2}[./-]\d{1,2}[./-]\d{2,4}$")


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
    compact = candidate.replace(" ", "")
    if not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    number = "".join(str(int(char, 36)) for char in rearranged)
    return int(number) % 97 == 1


def _card(match: re.Match[str]) -> bool:
    digits = re.sub(r"\D", "", match.group())
    return 13 <= len(digits) <= 19 and luhn(digits)


def _phone(match: re.Match[str]) -> bool:
    value = match.group()
    digits = re.sub(r"\D", "", value)
    if not 7 <= len(digits) <= 15 or _DATE.match(value):
        return False
    # Written as a phone: an international prefix, or digits in groups.
    return value.startswith(("+", "00", "(")) or bool(re.search(r"\d[ .\-/()]+\d", value))


_FINDERS: dict[str, tuple[re.Pattern[str], Callable[[re.Match[str]], bool]]] = {
    "iban": (_IBAN, lambda m: iban_valid(m.group())),
    "card": (_CARD, _card),
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
