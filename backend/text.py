"""What text typed by a person may hold: a line has no breaks or control characters."""

from __future__ import annotations

import re
import unicodedata

# Line breaks, tabs and other control characters (C0, DEL, C1) and Unicode's own line and
# paragraph separators: none belongs in a name, and a name is printed, exported, shown.
NOT_IN_A_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# Several lines may hold line breaks and tabs, nothing else of the kind.
NOT_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def as_one_line(text: str) -> str:
    """`text` with its breaks and control characters as single spaces."""
    return " ".join(NOT_IN_A_LINE.sub(" ", text).split())


_MOBILE = re.compile(r"1[3-9][0-9]{9}")  # [0-9]: \d would take any script's digits
_LANDLINE = re.compile(r"0[0-9]{9,11}")
# What people put between a number's digits, and the country code in front of it.
_SEPARATORS = re.compile(r"[\s\-‐‑–—.()]")
_COUNTRY = re.compile(r"^(\+86|0086)")


def phone_number(typed: str, *, landline: bool = False) -> str | None:
    """A Chinese phone number as people type it (full-width digits, spaces, dashes,
    +86 or 0086 in front) as it is kept: a mobile as its 11 digits, a landline (where
    one is allowed) as area code, dash, number. None when it is neither."""
    digits = _SEPARATORS.sub("", unicodedata.normalize("NFKC", typed))
    compact = _COUNTRY.sub("", digits)
    if compact != digits and compact[:1] in tuple("23456789"):
        compact = "0" + compact  # +86 21 …: from abroad a landline drops its leading 0
    if _MOBILE.fullmatch(compact):
        return compact
    if landline and _LANDLINE.fullmatch(compact):
        # 010 and 02x are the three-digit area codes; every other one has four digits.
        area = 3 if compact[1] in "12" else 4
        if 7 <= len(compact) - area <= 8:
            return f"{compact[:area]}-{compact[area:]}"
    return None
