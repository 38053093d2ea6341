"""What text typed by a person may hold: a line has no breaks or control characters."""

from __future__ import annotations

import re

# Line breaks, tabs and other control characters (C0, DEL, C1) and Unicode's own line and
# paragraph separators: none belongs in a name, and a name is printed, exported, shown.
NOT_IN_A_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# Several lines may hold line breaks and tabs, nothing else of the kind.
NOT_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def as_one_line(text: str) -> str:
    """`text` with its breaks and control characters as single spaces."""
    return " ".join(NOT_IN_A_LINE.sub(" ", text).split())
