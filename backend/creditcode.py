"""Unified social credit codes (统一社会信用代码, GB 32100-2015): 18 characters, the last
a check character over the other 17."""

from __future__ import annotations

import re
import unicodedata

from backend import i18n

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
VALUES = {ch: i for i, ch in enumerate(ALPHABET)}


def check_character(first17: str) -> str:
    total = sum(VALUES[ch] * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def problem(code: str) -> i18n.Reason | None:
    """Why `code` is not a valid credit code (in the reader's words, with its key), or None
    when it is."""
    if len(code) != 18:
        return i18n.reason("credit_code_length", "must be 18 characters")
    bad = sorted({ch for ch in code if ch not in VALUES})
    if bad:
        return i18n.reason(
            "credit_code_characters",
            "contains characters a credit code never uses: %(characters)s",
            characters="".join(bad),
        )
    if not code[2:8].isdigit():
        return i18n.reason(
            "credit_code_division",
            "characters 3–8 must be the administrative division code (digits)",
        )
    if code[17] != check_character(code[:17]):
        return i18n.reason("credit_code_checksum", "check character does not match (mistyped?)")
    return None


def normalise(code: str) -> str:
    """As printed, typed or pasted: full-width characters from a Chinese keyboard as
    ASCII; the spaces and hyphens people group the 18 characters with, and the invisible
    characters (zero-width spaces, a byte-order mark) a copy from a web page or a chat
    brings along, dropped."""
    visible = "".join(
        ch for ch in unicodedata.normalize("NFKC", code) if unicodedata.category(ch) != "Cf"
    )
    return re.sub(r"[\s-]", "", visible).upper()
