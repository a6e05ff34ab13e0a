"""What a run records about where it ran, shared by `python -m bench` and `python -m bench.chaos`:
the commit under test, the versions of what it runs on, and the open-file limit it raised.

`bench/__main__.py` is the command line only: nothing imports it (run as `python -m bench` it
is `__main__`, and an import of `bench.__main__` would load a second copy).
"""

import contextlib
import platform
import resource
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def raise_fd_limit() -> list[int]:
    """Raise this process's soft limit of open files to the hard one (thousands of sockets);
    returns [soft, hard] as they are afterwards."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return list(resource.getrlimit(resource.RLIMIT_NOFILE))


def versions() -> dict:
    """Python's and the stack's package versions, by name (None: not installed)."""
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for name in ("Django", "channels", "channels-redis", "redis", "daphne", "uvicorn",
                 "websockets", "psycopg", "msgspec", "uvloop"):  # fmt: skip
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def git_commit() -> str | None:
    """HEAD, with `+dirty` when the application's code differs from it; None outside git."""
    with contextlib.suppress(Exception):
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
            timeout=5,
        ).stdout.strip()  # fmt: skip
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "restaurant", "config"], cwd=ROOT,
            capture_output=True, text=True, timeout=5,
        ).stdout.strip()  # fmt: skip
        return (head + ("+dirty" if dirty else "")) or None
    return None
