"""How personal data looks to someone who does not own it."""

from __future__ import annotations

import re
import unicodedata

# In free text, digits may be typed full-width (１３８…) and grouped with spaces or dashes.
_DIGIT = r"[0-9０-９]"
_GAP = r"[ \-－]?"
# A mainland mobile (+86 or 0086 allowed before it), a landline with its area code, an
# ID-card number, an e-mail address: what a resident types into a rating or a report
# that identifies someone.
PERSONAL_IN_TEXT = re.compile(
    rf"(?<![0-9０-９A-Za-z])(?:"
    rf"(?P<id>{_DIGIT}{{17}}[0-9０-９Xx])"
    rf"|(?P<mobile>(?:[+＋]?[8８][6６]{_GAP}|[0０]{{2}}[8８][6６]{_GAP})?[1１]{_GAP}[3-9３-９](?:{_GAP}{_DIGIT}){{9}})"
    rf"|(?P<landline>0{_DIGIT}{{2,3}}{_GAP}{_DIGIT}{{7,8}})"
    rf")(?![0-9０-９A-Za-z])"
    r"|(?P<email>[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+)"
)


def phone(value: str | None) -> str | None:
    """138****5678: enough to recognise, not enough to call.

    A landline (64381234) is shorter: keeping three and four of its digits would show
    most or all of it, so it keeps two at each end (64****34).
    """
    if not value:
        return value
    digits = value.strip()
    if len(digits) < 7:
        return "*" * len(digits)
    if len(digits) < 11:
        return f"{digits[:2]}{'*' * (len(digits) - 4)}{digits[-2:]}"
    return f"{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"


def name(value: str | None) -> str | None:
    """张三 → 张*, 欧阳娜娜 → 欧*** — the first character and a star for each of the rest.

    A one-character name has no rest: its first character would be all of it.
    """
    if not value:
        return value
    if len(value) == 1:
        return "*"
    return value[0] + "*" * (len(value) - 1)


def number(value: str | None, keep_start: int = 4, keep_end: int = 4) -> str | None:
    """Licence and ID-like numbers: the ends stay, the middle is hidden."""
    if not value:
        return value
    if len(value) <= keep_start + keep_end:
        # Too short to keep both ends: two characters at most, and never the whole of it.
        shown = min(2, len(value) - 1)
        return value[:shown] + "*" * (len(value) - shown)
    return value[:keep_start] + "*" * (len(value) - keep_start - keep_end) + value[-keep_end:]


def employees_for(role: str, people: list) -> list:
    """A shop's employees as one of its people with `role` sees them: names and
    certificate numbers are personal data the owner keeps; the shop's staff see them
    masked, as an inspector does. The rows change in memory only: call after any save."""
    if role != "owner":
        for person in people:
            person.name = name(person.name)
            person.health_cert_number = number(person.health_cert_number, 2, 2)
    return people


_MAYBE_PERSONAL = re.compile(r"[0-9０-９@]")


def free_text(value: str | None) -> str | None:
    """Text a person typed (a rating, a complaint, a report) as anyone but its author sees
    it: phone numbers, ID-card numbers and e-mail addresses in it masked as those fields
    are (138****6666, 3101**********1234, z***@example.cn), the rest as written."""
    if not value or not _MAYBE_PERSONAL.search(value):  # most text holds neither: the scan reads it
        return value
    return PERSONAL_IN_TEXT.sub(_masked_match, value)


def _masked_match(match: re.Match) -> str:
    kind = match.lastgroup
    found = match.group(kind)
    if kind == "email":
        local, _, domain = found.partition("@")
        return f"{local[0]}***@{domain}"
    digits = "".join(unicodedata.normalize("NFKC", c) for c in found if c.isdigit() or c in "Xx")
    if kind == "id":
        return number(digits)
    if kind == "mobile":
        return phone(digits[-11:])
    return phone(digits)
