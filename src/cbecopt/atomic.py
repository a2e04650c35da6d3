"""Write outputs so that a crash never leaves a half-written result.

Everything is written into a temporary sibling of the target and moved into place with a
rename at the end; a failure removes the temporary and leaves any earlier target as it was.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_directory(target: Path) -> Iterator[Path]:
    """Yield an empty temporary folder; on success it replaces ``target`` in one rename."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    previous = None
    if target.exists():
        previous = target.with_name(f".{target.name}.{os.getpid()}.old")
        os.replace(target, previous)
    try:
        os.replace(staging, target)
    except BaseException:
        if previous is not None:
            os.replace(previous, target)
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if previous is not None:
        shutil.rmtree(previous, ignore_errors=True) if previous.is_dir() else previous.unlink()


@contextlib.contextmanager
def atomic_file(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it is renamed onto ``target``."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    staging = Path(name)
    try:
        yield staging
        os.replace(staging, target)
    finally:
        staging.unlink(missing_ok=True)
