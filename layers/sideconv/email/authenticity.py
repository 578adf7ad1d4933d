"""Is a received mail from whom it says (issue 15)? SES judges SPF, DKIM and DMARC for every mail it
receives (`receipt.spfVerdict`, `dkimVerdict`, `dmarcVerdict`, and the From domain's `dmarcPolicy`);
this reads those verdicts, never the mail's own headers (a sender writes whatever it likes there).

Two rules send a matched reply to the quarantine instead of its thread:
- its From fails DMARC for its domain (`dmarc`), whatever policy that domain publishes: with `p=none`
  the domain's owner only asks not to reject it, and a thread is no place for mail that may be forged;
- it claims one of the account's own sending addresses (`spoofed_sender`): mail from those goes out
  through SES, it never comes in from outside as a vendor's answer.
"""

from __future__ import annotations

from typing import Any, Literal

AuthReason = Literal["dmarc", "spoofed_sender"]


def verdict(receipt: dict[str, Any], name: str) -> str:
    return str((receipt.get(name) or {}).get("status", "")).upper() or "NONE"


def dmarc_failure(receipt: dict[str, Any], from_address: str | None) -> tuple[AuthReason, str] | None:
    if verdict(receipt, "dmarcVerdict") != "FAIL":
        return None
    domain = (from_address or "").rpartition("@")[2] or "its domain"
    policy = str(receipt.get("dmarcPolicy") or "none").lower()
    detail = (f"From {domain} fails DMARC (policy {policy}; SPF {verdict(receipt, 'spfVerdict')}, "
              f"DKIM {verdict(receipt, 'dkimVerdict')})")
    if policy == "none":
        # A vendor whose mail provider signs for another domain fails too: the admin decides.
        detail += (f": {domain} does not ask receivers to reject such mail, so it may be the vendor's own "
                   "mail setup rather than a forgery; attach it to its side conversation if you trust it")
    return "dmarc", detail


def spoofed(from_address: str) -> tuple[AuthReason, str]:
    return "spoofed_sender", f"From {from_address}: one of this account's own sending addresses, from outside"
