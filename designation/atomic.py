"""Atomic output, and the one guard every output path passes.

* :func:`check_outputs` - before any work, a command hands it every path it will write and every
  path it read: no output may be an input (by name, symbolic link or hard link), a network
  settings file (``derogations.yaml``, ``tailoring.yaml``, anything in a ``reviews/`` folder), a
  path the same command writes twice, a device, FIFO or folder, or a read-only file.
* :func:`replacing` - write to a temporary file beside the target, then rename over it. A reader
  (or a crash) never sees a half-written report, JSON or CSV; on any failure the temporary file
  is removed and the target is left as it was. A new file gets the mode the umask allows (as
  ``open`` would); a replaced file keeps its mode.
"""
from __future__ import annotations

import os
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator, Mapping, Optional, Union

SETTINGS_NAMES = ("derogations.yaml", "tailoring.yaml")
SETTINGS_FOLDER = "reviews"
PathLike = Union[str, "os.PathLike[str]"]

from .errors import InputError


@contextmanager
def replacing(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; rename it over ``target`` on success."""
    target = Path(target)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise InputError.at(str(target), f"output folder {folder} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=folder)
    except OSError as exc:
        raise InputError.at(str(target), f"cannot write output: {exc.strerror or exc}") from None
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        existing = _existing(target)
        if existing is not None:
            problem = _unwritable(existing)
            if problem:
                raise InputError.at(str(target), problem)
        yield tmp_path
        os.chmod(tmp_path, stat.S_IMODE(existing.st_mode) if existing is not None else 0o666 & ~_umask())
        os.replace(tmp_path, target)
    except OSError as exc:
        tmp_path.unlink(missing_ok=True)
        raise InputError.at(str(target), f"cannot write output: {exc.strerror or exc}") from None
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


def write_bytes(target: str | os.PathLike, data: bytes) -> None:
    with replacing(target) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())


def write_text(target: str | os.PathLike, text: str) -> None:
    write_bytes(target, text.encode("utf-8"))


def _umask() -> int:
    """The process's umask, read without changing it where the system allows (Linux)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _existing(path: Path) -> Optional[os.stat_result]:
    try:
        return os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError:
        return None


def _unwritable(st: os.stat_result) -> Optional[str]:
    mode = st.st_mode
    if not stat.S_ISREG(mode):
        kind = ("a folder" if stat.S_ISDIR(mode) else "a character device" if stat.S_ISCHR(mode)
                else "a block device" if stat.S_ISBLK(mode) else "a FIFO (named pipe)" if stat.S_ISFIFO(mode)
                else "a socket" if stat.S_ISSOCK(mode) else "not a regular file")
        return f"is {kind}; outputs are written only to regular files"
    if not mode & 0o222:
        return "is read-only; make it writable or choose another output path"
    return None


def _identity(path: Path) -> tuple:
    """What makes two paths the same file: the inode when it exists, else the resolved path."""
    st = _existing(path)
    if st is not None:
        return ("inode", st.st_dev, st.st_ino)
    return ("path", os.path.realpath(path))


def settings_problem(path: PathLike) -> Optional[str]:
    """Why ``path`` is a network settings file (never an output), or None."""
    p = Path(os.path.realpath(path))
    if Path(path).name in SETTINGS_NAMES or p.name in SETTINGS_NAMES:
        return f"is a network settings file ({p.name}); it is never written by a report"
    if SETTINGS_FOLDER in (Path(path).parent.name, p.parent.name):
        return f"is in a {SETTINGS_FOLDER}/ folder, which holds the network's reviews; write outputs elsewhere"
    return None


def check_outputs(outputs: Mapping[str, Optional[PathLike]], inputs: Iterable[Optional[PathLike]] = ()) -> None:
    """Refuse, before any work, outputs that would overwrite something they should not.

    ``outputs`` maps how the user named each output (``"-o"``, ``"--html"``, ``"CSV beside -o"``)
    to its path (None for an output not asked for); ``inputs`` are every file the command reads.
    All problems are reported at once, as an :class:`InputError` naming each path.
    """
    from .errors import Problem

    problems: list[Problem] = []
    read = {}
    for p in inputs:
        if p is not None:
            read.setdefault(_identity(Path(p)), str(p))
    seen: dict[tuple, str] = {}
    for label, p in outputs.items():
        if p is None:
            continue
        path = Path(p)
        ident = _identity(path)
        st = _existing(path)
        reason = None
        if ident in read:
            same = read[ident]
            reason = (f"{label} is one of the inputs" if os.path.realpath(same) == os.path.realpath(path)
                      else f"{label} is the same file as {same}, one of the inputs") + "; choose another output path"
        elif ident in seen:
            reason = f"{label} is the same path as {seen[ident]}; each output needs its own path"
        elif settings_problem(path):
            reason = f"{label} {settings_problem(path)}"
        elif st is not None and _unwritable(st):
            reason = f"{label} {_unwritable(st)}"
        seen.setdefault(ident, label)
        if reason:
            problems.append(Problem(str(path), reason))
    if problems:
        raise InputError(problems)
