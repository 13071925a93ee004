"""The report templates, compiled once per user rather than once per process.

Compiling ``site.html`` and the templates it includes is a few percent of a one-report
``designation report`` (Jinja parses and compiles them to Python code every time a process starts).
Jinja's bytecode cache keeps that compiled code between processes; this is the file-system one,
made safe to trust:

* **never stale**: every entry records the SHA-1 of its template's source (Jinja checks it on
  load, so a changed template is compiled again), and the file name also covers the Jinja and
  Python versions and the environment's options (a change to how templates are compiled, such as
  ``trim_blocks``, misses the old entries rather than reusing them);
* **only the user's own**: the folder (``templates/`` in ``$DESIGNATION_CACHE_DIR``, else in
  ``$XDG_CACHE_HOME/designation``, else in ``~/.cache/designation``) must be a real directory
  owned by the user and closed to everyone else (0700), in a folder no one else can write to,
  since what it holds is loaded as code; anything else and the cache is not used;
* **never in the way**: a folder that cannot be created or written, or an entry that cannot be
  read, costs a compile, never an error. ``DESIGNATION_NO_CACHE=1`` turns it off.
"""
from __future__ import annotations

import hashlib
import os
import stat
import sys
import tempfile
from pathlib import Path
from typing import Optional

from jinja2 import BytecodeCache
from jinja2.bccache import Bucket

NO_CACHE_ENV = "DESIGNATION_NO_CACHE"
CACHE_DIR_ENV = "DESIGNATION_CACHE_DIR"
MAX_ENTRY_BYTES = 8 * 1024 * 1024  # our compiled templates are tens of kilobytes


def user_cache_dir() -> Optional[Path]:
    """Where designation keeps per-user caches; None when caching is off or there is no home."""
    if os.environ.get(NO_CACHE_ENV, "").strip() not in ("", "0"):
        return None
    given = os.environ.get(CACHE_DIR_ENV)
    if given:
        return Path(given)
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "designation"
    try:
        home = Path.home()
    except (KeyError, RuntimeError, OSError):
        return None
    return home / ".cache" / "designation"


def _own_dir(path: Path, closed: int) -> bool:
    """Make ``path`` (and its parents) if need be; True if it is a directory of this user's that
    no one else has the ``closed`` permission bits on."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = os.lstat(path)
    except OSError:
        return False
    if not stat.S_ISDIR(st.st_mode):
        return False
    if os.name == "nt":
        return True
    return st.st_uid == os.getuid() and stat.S_IMODE(st.st_mode) & closed == 0


class TemplateCache(BytecodeCache):
    """Jinja's compiled templates in a private folder, keyed by everything that shapes the code."""

    def __init__(self, directory: Path, fingerprint: str) -> None:
        self.directory = directory
        self.fingerprint = fingerprint

    def get_cache_key(self, name: str, filename: Optional[str] = None) -> str:
        h = hashlib.sha256()
        for part in (self.fingerprint, name, filename or ""):
            h.update(part.encode("utf-8", "surrogatepass") + b"\0")
        return h.hexdigest()[:40]

    def _path(self, bucket: Bucket) -> Path:
        return self.directory / f"{bucket.key}.jinja"

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            with open(self._path(bucket), "rb") as fh:
                data = fh.read(MAX_ENTRY_BYTES + 1)
        except OSError:
            return
        if len(data) > MAX_ENTRY_BYTES:
            return
        try:
            bucket.bytecode_from_string(data)  # checks Jinja's magic and the source's checksum
        except Exception:  # a torn or foreign entry: compile again (and overwrite it)
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        try:
            data = bucket.bytecode_to_string()
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=".part")
        except (OSError, TypeError, ValueError):
            return
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, self._path(bucket))  # readers see the old entry or the new one, whole
        except OSError:
            try:
                os.unlink(tmp)
            except OSError:
                pass

    def clear(self) -> None:
        for p in self.directory.glob("*.jinja"):
            try:
                p.unlink()
            except OSError:
                pass


def for_environment(options: str) -> Optional[TemplateCache]:
    """The cache for an environment described by ``options`` (a stable text naming the settings
    that change compiled code), or None when there is nowhere safe to keep it."""
    base = user_cache_dir()
    if base is None:
        return None
    folder = base / "templates"
    # no one else may write to the folder above (or swap ours), nor use ours at all
    if not (_own_dir(base, 0o022) and _own_dir(folder, 0o077)):
        return None
    import jinja2

    from .. import __version__

    fingerprint = repr((jinja2.__version__, sys.version_info[:3], sys.implementation.cache_tag, __version__,
                        options))
    return TemplateCache(folder, fingerprint)
