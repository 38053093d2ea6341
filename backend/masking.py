"""How personal data looks to someone who does not own it."""

from __future__ import annotations


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
