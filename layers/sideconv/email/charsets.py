"""The text of one MIME part whose charset label may be missing or wrong, decoded part by part and
never all-or-nothing: a bad byte costs one U+FFFD, not the whole text.

1. ASCII is ASCII, and valid UTF-8 with non-ASCII bytes is almost never another charset by accident,
   so it wins over the label (mail labelled Big5 or Latin-1 that is really UTF-8 is common).
2. The label, read as the WHATWG Encoding Standard reads it (what browsers do): ISO-8859-1 and ASCII
   mean Windows-1252, so a "€" from a Windows client labelled Latin-1 is a "€", not U+0080.
   A label whose decoding fails, or gives C1 control characters (a Windows code page labelled ISO),
   or a Latin label whose text is nearly all accented letters (Cyrillic read as Latin-1), is not
   trusted.
3. Mostly UTF-8 (a few bad bytes among valid sequences): UTF-8 with replacement.
4. Otherwise charset-normalizer detects it (Shift_JIS or Windows-1250 without a label); imported
   here, for the few mails that need it.
5. Windows-1252 with replacement.
"""

from __future__ import annotations

import codecs
import re

# The labels mail mislabels most, mapped as browsers map them (WHATWG Encoding Standard).
_SUPERSETS = {
    "us-ascii": "windows-1252", "ascii": "windows-1252", "iso-8859-1": "windows-1252", "latin-1": "windows-1252",
    "latin1": "windows-1252", "iso8859-1": "windows-1252", "l1": "windows-1252", "iso-8859-9": "windows-1254",
    "iso-8859-11": "windows-874", "tis-620": "windows-874", "gb2312": "gb18030", "gbk": "gb18030",
    "x-gbk": "gb18030", "euc-cn": "gb18030", "ks_c_5601-1987": "cp949", "euc-kr": "cp949", "shift_jis": "cp932",
    "x-sjis": "cp932", "sjis": "cp932", "big5": "big5hkscs",
}
_SEVEN_BIT = frozenset({"iso2022_jp", "iso2022_jp_1", "iso2022_jp_2", "iso2022_jp_2004", "iso2022_jp_3",
                        "iso2022_jp_ext", "iso2022_kr", "hz"})
_C1 = re.compile(r"[\x80-\x9f]")
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]+")


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    name = _SUPERSETS.get(label, label)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _mislabelled(text: str) -> bool:
    """Western text has a few accented letters among ASCII ones; Cyrillic or Greek read as Latin-1
    ("Çäðàâñòâóéòå") has almost nothing else."""
    letters = [c for c in text if c.isalpha()]
    accented = sum(ord(c) >= 0xC0 for c in letters)
    return accented >= 8 and accented > len(letters) // 2


def _mostly_utf8(raw: bytes, declared: str | None) -> str | None:
    text = raw.decode("utf-8", "replace")
    bad = text.count("\ufffd")
    good = len(_UTF8_SEQUENCE.findall(raw))
    labelled = declared == "utf-8"
    if (labelled and (bad <= 3 or good >= bad)) or (good and bad <= max(2, good // 4)):
        return text
    return None


_LATIN_WORD = re.compile(r"[A-Za-z][\u00c0-\u00ff]{1,2}|[\u00c0-\u00ff][A-Za-z]")


def _western(raw: bytes) -> str | None:
    """A few accented letters among ASCII words ("Caf\xe9"): too little for a detector to go on, and
    Windows-1252 is what such mail almost always is."""
    if sum(b >= 0x80 for b in raw) > 8:
        return None
    try:
        text = raw.decode("windows-1252")
    except UnicodeDecodeError:
        return None
    accented = [c for c in text if ord(c) >= 0x80]
    return text if len(_LATIN_WORD.findall(text)) >= len(accented) // 2 + 1 and not _C1.search(text) else None


def _detected(raw: bytes) -> str | None:
    western = _western(raw)
    if western is not None:
        return western
    from charset_normalizer import from_bytes

    best = from_bytes(raw).best()
    if best is None or best.encoding is None:
        return None
    name = _codec(best.encoding)
    return raw.decode(name, "replace") if name else None


def decode_bytes(raw: bytes, declared: str | None, *, detect: bool = True) -> str:
    """`detect=False` for a header's few bytes: too short to detect, so UTF-8, else Windows-1252."""
    if raw.isascii():
        name = _codec(declared)
        if (name in _SEVEN_BIT and b"\x1b" in raw) or (name == "utf-7" and b"+" in raw):
            return raw.decode(name, "replace")  # ISO-2022-JP and UTF-7 are ASCII bytes
        return raw.decode("ascii")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    name = _codec(declared)
    if name is not None and name != "utf-8":
        try:
            text = raw.decode(name)
        except UnicodeDecodeError:
            pass
        else:
            if not _C1.search(text) and not (detect and name == "cp1252" and _mislabelled(text)):
                return text
    found = _mostly_utf8(raw, name)
    if found is None and detect:
        found = _detected(raw)
    return found if found is not None else raw.decode("windows-1252", "replace")
