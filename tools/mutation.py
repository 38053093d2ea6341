"""Mutation scores of the mechanism and rule modules, against their floor.

mutmut (configured in pyproject.toml) changes the code one small fault at a time and
runs the tests that reach it. This reads what it found, module by module: a mutant the
tests failed on (or that ran past its time) is killed; one listed in tests/MUTANTS.md
as equivalent (it cannot change what anyone sees) is left out; every other one counts
against the module.

    python tools/mutation.py changed          the modules whose source differs from the record
    python tools/mutation.py run [--changed]  mutmut on every module (or only those whose
                                              source differs from tests/mutation-scores.json),
                                              the report, and the record of those that pass
    python tools/mutation.py report [MODULE…] scores; exit 1 below the floor
    python tools/mutation.py record [MODULE…] write their scores to tests/mutation-scores.json
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FLOOR = 95.0
RECORD = REPO / "tests" / "mutation-scores.json"
EQUIVALENTS = REPO / "tests" / "MUTANTS.md"
KILLED = {1, 3, 36, 24, -24, 152, 255}  # mutmut's exit codes for killed and timed out
# A line of tests/MUTANTS.md: "- `backend.scope.x_under__mutmut_7`: why it cannot matter".
LISTED = re.compile(r"^- `([\w.]+__mutmut_\d+)`: (\S.*)$")


def modules() -> list[str]:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    return config["tool"]["mutmut"]["only_mutate"]


def digest(module: str) -> str:
    return hashlib.sha256((REPO / module).read_bytes()).hexdigest()


def changed() -> list[str]:
    recorded = json.loads(RECORD.read_text()) if RECORD.exists() else {}
    return [m for m in modules() if recorded.get(m, {}).get("sha256") != digest(m)]


def equivalents() -> dict[str, str]:
    listed = {}
    for line in EQUIVALENTS.read_text(encoding="utf-8").splitlines():
        match = LISTED.match(line)
        if match:
            listed[match.group(1)] = match.group(2)
    return listed


def results(module: str) -> dict[str, int | None]:
    meta = REPO / "mutants" / f"{module}.meta"
    if not meta.exists():
        return {}
    return json.loads(meta.read_text())["exit_code_by_key"]


def score(module: str, listed: dict[str, str]) -> dict:
    found = results(module)
    killed = sum(1 for code in found.values() if code in KILLED)
    equivalent = [key for key in found if key in listed and found[key] not in KILLED]
    unchecked = sum(1 for code in found.values() if code is None)
    counted = len(found) - len(equivalent)
    return {
        "mutants": len(found),
        "killed": killed,
        "equivalent": len(equivalent),
        "unchecked": unchecked,
        "score": round(100.0 * killed / counted, 1) if counted else 100.0,
        "survivors": sorted(k for k, c in found.items() if c not in KILLED and k not in listed),
    }


def report(selected: list[str]) -> int:
    listed = equivalents()
    failing = 0
    print(f"{'module':34} {'mutants':>7} {'killed':>6} {'equiv.':>6} {'score':>6}")
    for module in selected:
        found = score(module, listed)
        if not found["mutants"]:
            print(f"{module:34} not run: `make mutate` first")
            failing += 1
            continue
        below = found["score"] < FLOOR or found["unchecked"]
        failing += bool(below)
        print(
            f"{module:34} {found['mutants']:7} {found['killed']:6} {found['equivalent']:6} "
            f"{found['score']:5.1f}%{'  BELOW ' + str(FLOOR) + '%' if below else ''}"
        )
        # Above the floor too: each is a missing test, or an equivalent to list with its reason.
        for key in found["survivors"]:
            print(f"    survived: {key}   (mutmut show {key})")
    stale = [key for key in listed if not any(key.startswith(_prefix(m)) for m in modules())]
    for key in stale:
        print(f"tests/MUTANTS.md lists {key}, which is in no mutated module")
    return 1 if failing or stale else 0


def _prefix(module: str) -> str:
    return module.removesuffix(".py").replace("/", ".") + "."


def record(selected: list[str]) -> None:
    """Remember the scores of `selected` with a digest of each module's source, so that
    `run --changed` mutates a module again only once its source has changed."""
    listed = equivalents()
    scores = json.loads(RECORD.read_text()) if RECORD.exists() else {}
    for module in selected:
        found = score(module, listed)
        found.pop("survivors")
        scores[module] = {"sha256": digest(module), **found}
    scores = {m: scores[m] for m in modules() if m in scores}
    RECORD.write_text(json.dumps(scores, indent=2, sort_keys=True) + "\n")


def run(only_changed: bool) -> int:
    selected = changed() if only_changed else modules()
    if not selected:
        print("no mutated module changed since its score was recorded")
        return 0
    print("mutating", " ".join(selected), flush=True)
    log = REPO / "mutants" / "mutmut.log"
    log.parent.mkdir(exist_ok=True)
    mutmut = Path(sys.executable).with_name("mutmut")
    with log.open("w") as out:
        subprocess.run(
            [str(mutmut), "run", *(_prefix(m) + "*" for m in selected)],
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    progress = re.findall(r"\d+/\d+ +🎉[^\r\n]*", log.read_text())
    print(progress[-1].strip() if progress else f"mutmut ran; its output is in {log}")
    failed = report(selected)
    if not failed:
        record(selected)
    return failed


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "report"
    if command == "run":
        return run("--changed" in argv[2:])
    if command == "changed":
        print(" ".join(changed()))
        return 0
    if command == "record":
        record(argv[2:] or modules())
        return 0
    if command == "report":
        return report(argv[2:] or modules())
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
