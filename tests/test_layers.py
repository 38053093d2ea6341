"""The house's one-way arrows: surfaces never import each other, domains never import a surface."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

# Reads the source, no database: run once, not once per database.
pytestmark = pytest.mark.once

REPO = Path(__file__).resolve().parent.parent
RULE = REPO / "tools" / "import_rule.py"


def _check(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(RULE), str(root)], capture_output=True, text=True)


def test_no_package_reaches_into_a_surface_it_does_not_belong_to():
    checked = _check(REPO / "backend")
    assert checked.returncode == 0, checked.stdout


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "backend"
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_a_surface_importing_another_is_named_with_its_file_and_line(tmp_path):
    root = _tree(
        tmp_path,
        {
            "admin/routes.py": '"""Admin."""\nfrom backend.resident.schemas import RatingOut\n',
            "admin/other.py": "from backend.admin import blp\n",
        },
    )
    checked = _check(root)
    assert checked.returncode == 1
    assert checked.stdout.splitlines() == [
        f"{root.as_posix()}/admin/routes.py:2: the admin surface imports the resident "
        "surface; surfaces never import each other"
    ]


def test_a_domain_importing_a_surface_is_refused_but_the_app_factory_may(tmp_path):
    root = _tree(
        tmp_path,
        {
            "shops/status.py": "from backend import merchant\n",
            "__init__.py": "from backend.admin import blp\n",
            "cli.py": "import backend.scan.routes\n",
        },
    )
    checked = _check(root)
    assert checked.returncode == 1
    assert checked.stdout.splitlines() == [
        f"{root.as_posix()}/shops/status.py:1: imports the merchant surface; only surfaces, "
        "the app factory and the CLI may"
    ]
