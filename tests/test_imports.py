"""Every module of the package imports on its own: an import circle (a model package reached
through a shared module that the registry imports back) shows only when a module is the
first one imported, so each is imported first once, in a fresh process."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

IMPORT_EACH_FIRST = """
import functools, importlib, importlib.machinery, sys
# Compile each source file once (without .pyc files, e.g. PYTHONDONTWRITEBYTECODE=1, every
# fresh import compiled it again); every module is still executed anew in each order.
loader = importlib.machinery.SourceFileLoader
source_to_code = loader.source_to_code
compile_once = functools.cache(lambda data, path: source_to_code(None, data, path))
loader.source_to_code = lambda self, data, path, **kw: compile_once(bytes(data), path)
failed = []
for name in sys.argv[1:]:
    for loaded in [m for m in sys.modules if m == "cbecopt" or m.startswith("cbecopt.")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except ImportError as error:
        failed.append(f"{name}: {error}")
print("\\n".join(failed))
"""


def module_names() -> list[str]:
    names = []
    for path in sorted((SRC / "cbecopt").rglob("*.py")):
        parts = path.relative_to(SRC).with_suffix("").parts
        if parts[-1] == "__main__":
            continue
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


@pytest.mark.integration
def test_every_module_imports_when_it_is_imported_first():
    names = module_names()
    assert "cbecopt.models.smps" in names and "cbecopt.readers.smps" in names
    run = subprocess.run(
        [sys.executable, "-c", IMPORT_EACH_FIRST, *names],
        capture_output=True,
        text=True,
        check=True,
    )
    assert run.stdout.strip() == "", run.stdout


@pytest.mark.unit
def test_pyproject_ships_every_package_of_the_source_tree():
    """The wheel holds the packages pyproject lists: one missing is a module users lack."""
    listed = set(
        tomllib.loads((SRC.parent / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    found = {
        ".".join(path.parent.relative_to(SRC).parts)
        for path in (SRC / "cbecopt").rglob("__init__.py")
    }
    assert found <= listed, sorted(found - listed)
    assert listed - found == {"cbecopt_instances"}, sorted(listed - found)
