"""The import rule of backend/: surfaces → domains → mechanisms → models, one way.

An audience package (the API surface one audience calls) never imports another audience
package, and nothing outside the surfaces imports one, except the app factory and the
command line, which wire them. Prints each offending import as `file:line: reason` and
exits 1 if there is any.

    python tools/import_rule.py [backend]
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

AUDIENCES = {"resident", "merchant", "admin", "scan", "account", "public", "open311", "devices"}
# The app factory and the command line register the surfaces' blueprints and commands.
WIRING = {"__init__.py", "cli.py"}


def violations(root: Path) -> list[str]:
    found = []
    package = root.name
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root)
        if relative.as_posix() in WIRING:
            continue
        home = relative.parts[0] if len(relative.parts) > 1 else None
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            surface = _foreign_surface(package, home, _imported(node))
            if surface is None:
                continue
            where = f"{path.as_posix()}:{node.lineno}"
            if home in AUDIENCES:
                found.append(
                    f"{where}: the {home} surface imports the {surface} surface; "
                    "surfaces never import each other"
                )
            else:
                found.append(
                    f"{where}: imports the {surface} surface; only surfaces, "
                    "the app factory and the CLI may"
                )
    return found


def _foreign_surface(package: str, home: str | None, modules: list[str]) -> str | None:
    for module in modules:
        parts = module.split(".")
        if len(parts) > 1 and parts[0] == package and parts[1] in AUDIENCES and parts[1] != home:
            return parts[1]
    return None


def _imported(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
        return [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
    return []


def main(argv: list[str]) -> int:
    root = Path(argv[1] if len(argv) > 1 else Path(__file__).resolve().parent.parent / "backend")
    found = violations(root)
    for line in found:
        print(line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
