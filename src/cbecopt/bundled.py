"""Instances shipped with cbecopt (the repository's ``instances/`` folder).

A bundled instance can be named instead of a path: ``cbecopt solve demo``.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def bundled_root() -> Path | None:
    """Folder holding the bundled instances, or ``None`` when not installed with them."""
    try:
        root = Path(str(resources.files("cbecopt_instances")))
    except ModuleNotFoundError:
        return None
    return root if root.is_dir() else None


def bundled_instances() -> dict[str, Path]:
    """Bundled instance folders by name."""
    root = bundled_root()
    if root is None:
        return {}
    return {p.name: p for p in sorted(root.iterdir()) if (p / "instance.toml").is_file()}


def resolve_path(path: str | Path) -> Path:
    """``path`` itself if it exists, else the bundled instance of that name, else ``path`` unchanged."""
    candidate = Path(path)
    if candidate.exists():
        return candidate
    return bundled_instances().get(str(path), candidate)
