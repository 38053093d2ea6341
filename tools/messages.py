"""The message catalogs: every English message the service can answer with, and its Chinese.

    python tools/messages.py update   # collect the messages from backend/ into the zh catalog
    python tools/messages.py compile  # the .mo the service reads, from the .po people edit
    python tools/messages.py check    # exit 1 naming each message without a translation

Messages are found by the calls that carry them (errors.Invalid(...), Invalid.field(name,
reason), reason(key, message), ...; KEYWORDS), read with Python's own parser, so a new
message needs no marker of its own.
marshmallow's built-in messages are added from the library, as the service keys them.
"""

from __future__ import annotations

import ast
import io
import sys
from pathlib import Path

from babel.messages import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
BACKEND = ROOT / "backend"
PO = BACKEND / "translations" / "zh" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
# The calls that carry a message, and which of their arguments it is (counting from 1).
KEYWORDS = {
    "gettext": 1,
    "say": 1,
    "N_": 1,
    "DomainError": 1,
    "Invalid": 1,
    "Unauthorized": 1,
    "Forbidden": 1,
    "NotFound": 1,
    "Conflict": 1,
    "TooMany": 1,
    "UpstreamFailed": 1,
    "UpstreamUnavailable": 1,
    "TooLarge": 1,
    "field": 2,  # Invalid.field(name, reason)
    "reason": 2,  # reason(key, message)
    "error_response": 2,  # error_response(status, message)
}


def framework_messages() -> list[str]:
    """marshmallow's and the framework's own words, as a response may carry them."""
    import marshmallow as ma
    from marshmallow import validate

    from backend import errors, i18n

    found = [str(message) for _, message in errors.STATUS_KEYS.values()]
    for cls in vars(ma.fields).values():
        if isinstance(cls, type) and issubclass(cls, ma.fields.Field):
            found += [str(m) for m in cls.__dict__.get("default_error_messages", {}).values()]
    for (cls, name), _ in i18n.VALIDATOR_KEYS.items():
        found.append(str(getattr(cls, name)))
    for op in ("gte", "gt"):
        found.append(f"Must be {getattr(validate.Range, 'message_' + op)} {{min}}.")
        for op_max in ("lte", "lt"):
            found.append(
                f"Must be {getattr(validate.Range, 'message_' + op)} {{min}} and "
                f"{getattr(validate.Range, 'message_' + op_max)} {{max}}."
            )
    for op in ("lte", "lt"):
        found.append(f"Must be {getattr(validate.Range, 'message_' + op)} {{max}}.")
    found += [str(m) for m in ma.Schema._default_error_messages.values()]
    found += list(errors.FRAMEWORK_MESSAGES)
    return found


def _calls(path: Path):
    """(line, message) for each message written as a literal where a keyword call takes it,
    and (line, None) for one written as an f-string: its words could never be translated."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
        if name not in KEYWORDS or len(node.args) < KEYWORDS[name]:
            continue
        message = node.args[KEYWORDS[name] - 1]
        if isinstance(message, ast.Constant) and isinstance(message.value, str):
            yield node.lineno, message.value
        elif isinstance(message, ast.JoinedStr):
            yield node.lineno, None


def collected(unreadable: list[str] | None = None) -> Catalog:
    """Every message, and in `unreadable` where a message is an f-string."""
    catalog = Catalog(locale="zh", project="citycode")
    for path in sorted(BACKEND.rglob("*.py")):
        where = path.relative_to(ROOT).as_posix()
        for line, message in _calls(path):
            if message is None and unreadable is not None:
                unreadable.append(f"{where}:{line}: an f-string message cannot be translated")
            elif message:
                catalog.add(message, locations=[(where, line)])
    for message in framework_messages():
        if message and "{min_op}" not in message and "{max_op}" not in message:
            catalog.add(message, locations=[("marshmallow", 0)])
    return catalog


def load() -> Catalog:
    with PO.open("rb") as handle:
        return read_po(handle, locale="zh")


def update() -> None:
    catalog = load() if PO.exists() else Catalog(locale="zh", project="citycode")
    catalog.update(collected(), no_fuzzy_matching=True)
    catalog.obsolete.clear()
    PO.parent.mkdir(parents=True, exist_ok=True)
    with PO.open("wb") as handle:
        write_po(handle, catalog, width=100, omit_header=False, sort_output=True)


def compiled() -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, load())
    return buffer.getvalue()


def untranslated() -> list[str]:
    """Each message with no Chinese, and each that cannot be read to be translated."""
    translated = {m.id for m in load() if m.id and m.string}
    unreadable: list[str] = []
    missing = sorted(m.id for m in collected(unreadable) if m.id and m.id not in translated)
    return [f"no Chinese for: {m}" for m in missing] + unreadable


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "check"
    if command == "update":
        update()
    elif command == "compile":
        MO.write_bytes(compiled())
    missing = untranslated()
    for line in missing:
        print(line)
    return 1 if missing and command == "check" else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
