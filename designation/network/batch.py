"""A network's whole round at once: every submission in a folder assessed and rendered.

* Work runs in parallel processes; each site's JSON and PDF are written atomically, and a
  small key file is written last, so an interrupted batch (Ctrl-C, a killed worker) leaves no
  half-written output and the next run resumes where it stopped.
* A content-hash cache: the key of a site is the hash of its submission, its review, the
  folder's derogations and tailoring, the spec edition's hash and the engine version. A re-run
  with nothing changed renders nothing; a changed submission re-renders only that site (and
  the network summary).
* One bad file is reported (file, line, message) and the rest are still processed.

The folder's settings are ``derogations.yaml``, ``tailoring.yaml`` and ``reviews/<name>.yaml``;
they are never taken for submissions. A review goes with the submission of its file name or, failing
that, of its site code; a review that goes with no submission is an error, never skipped.

Nothing is silently lost: a cached site's warnings are kept in its JSON and reported on every
run; the outputs of a site whose input became invalid, failed or was removed are moved aside
into ``stale/`` so nothing in the output folder looks current that is not. Only one batch
writes an output folder at a time (a lock file; a second one waits briefly, then refuses).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import signal
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

from .. import __version__
from ..atomic import settings_problem
from ..errors import InputError, Problem
from . import executors
from .executors import Executor

# Output names of the network's own files; a submission with one of these names is refused.
RESERVED = frozenset({"network-summary", "manifest", "register", "index"})
REPORT_VERSION = "2"  # bump when templates change, so cached PDFs are re-rendered


@dataclass
class SiteOutcome:
    file: str
    state: str                          # "rendered" | "cached" | "invalid" | "failed"
    status: Optional[str] = None        # the outcome status; the result itself stays on disk
    problems: list[Problem] = field(default_factory=list)
    json_path: Optional[str] = None
    render_args: Optional[tuple] = None   # what phase 2 needs to render this site's PDF
    warnings: list[str] = field(default_factory=list)   # the assessment's warnings, cached or not
    key: Optional[str] = None             # the content key of its inputs (see site_key)


@dataclass
class BatchResult:
    sites: list[SiteOutcome]
    summary_rendered: bool
    seconds: float
    outdir: Path
    summary_problem: Optional[Problem] = None
    problems: list[Problem] = field(default_factory=list)   # the folder's own (a review matching no submission)
    stale: list[dict[str, Any]] = field(default_factory=list)  # outputs moved aside: {name, reason, files}
    run_id: Optional[int] = None                              # the run's id in the register, when recorded

    @property
    def invalid(self) -> list[SiteOutcome]:
        return [s for s in self.sites if s.state in ("invalid", "failed")]

    @property
    def ok(self) -> bool:
        return not self.invalid and self.summary_problem is None and not self.problems

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for s in self.sites:
            if s.status:
                out[s.status] = out.get(s.status, 0) + 1
        return out


def find_submissions(folder: Path) -> list[Path]:
    from ..api import is_settings_file

    return sorted(p for p in folder.iterdir()
                  if p.suffix.lower() in (".yaml", ".xlsx", ".xlsm") + OTHER_SHEETS and p.is_file()
                  and not is_settings_file(p))


OTHER_SHEETS = (".xls", ".ods")   # returned workbooks saved in another format: reported, never skipped


def _settings(folder: Path) -> dict[str, Optional[Path]]:
    return {name: (folder / f"{name}.yaml") if (folder / f"{name}.yaml").is_file() else None
            for name in ("derogations", "tailoring")}


def _sha(path: Optional[Path]) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path else "-"


def slim(result: dict[str, Any]) -> dict[str, Any]:
    """What the network summary needs of a site; small, so memory stays flat as sites grow."""
    keep = ("schema", "spec", "site", "submission_file", "claimed", "assessed_on", "outcome", "score", "counts",
            "review", "inputs")
    out = {k: result.get(k) for k in keep}
    out["spec"] = {k: result["spec"].get(k) for k in ("id", "edition", "title", "labels", "ladder", "vocabulary")}
    out["standards"] = [{k: s[k] for k in ("id", "title", "domain", "category", "status", "flags", "review")}
                        for s in result["standards"]]
    from ..report.view import document_id

    out["document_id"] = document_id(result)  # the full result's id: the summary embeds it for verify
    return out


def _assess(args: tuple) -> SiteOutcome:
    """Phase 1, one site: assess and write its JSON (and, without PDFs, its cache key)."""
    sub, review, derogations, tailoring, outdir, key, render, as_at, review_match = args
    from .. import api
    from ..atomic import write_bytes, write_text
    from ..jsonout import dumps_bytes

    name = Path(sub).stem
    try:
        a = api.assess_path(sub, review=review, derogations=derogations, tailoring=tailoring, discover=False,
                            review_match=review_match)
    except InputError as exc:
        return SiteOutcome(str(sub), "invalid", None, exc.problems, key=key)
    result = a.to_json()
    if key is None:
        key = site_key(Path(sub), a.spec.sha256, review, derogations, tailoring, as_at)
    json_path = Path(outdir) / f"{name}.json"
    write_bytes(json_path, dumps_bytes(result, sort_keys=True))
    if not render:
        # a PDF from before that no longer matches this JSON is moved to stale/ once the run
        # ends (_set_aside_stale_pdfs); this key never vouches for a PDF
        write_text(Path(outdir) / f".{name}.key", f"{key} json")
    return SiteOutcome(str(sub), "rendered", result["outcome"]["status"], [], str(json_path),
                       (sub, review, derogations, tailoring, str(json_path), key), list(result["warnings"]), key)


_SIGNERS: dict[Any, Any] = {}


def _signer(config: Any) -> Any:
    """The PDF signer for ``config`` (a ``report.sign.SignConfig``), loaded once per process."""
    if config is None:
        return None
    if config not in _SIGNERS:
        from ..report.sign import signer_for

        _SIGNERS[config] = signer_for(config)
    return _SIGNERS[config]


def _render(args: tuple) -> None:
    """Phase 2, one site: its PDF from the JSON result and the raw inputs, then its cache key (last)."""
    sub, review, derogations, tailoring, json_path, key, created, as_at, *rest = args
    sign = rest[0] if rest else None
    from .. import api, report
    from ..inputs import yamlsafe
    from ..atomic import write_text

    json_path = Path(json_path)
    result = json.loads(json_path.read_text())
    inputs = api.Inputs(*[(str(p), yamlsafe.read_bytes(p)) if p else None
                          for p in (sub, review, derogations, tailoring)])
    report.write_pdf(result, json_path.with_suffix(".pdf"), attachments=api.report_attachments(inputs),
                     created=created, as_at=dt.date.fromisoformat(as_at), sign=_signer(sign))
    write_text(json_path.parent / f".{json_path.stem}.key", f"{key} pdf {_created_tag(created)}")


def _phase2(task: tuple) -> None:
    kind, payload, _ = task
    (_summary if kind == "summary" else _render)(payload)


def _summary(args: tuple) -> None:
    """The network summary: CSV (and PDF) from the per-site JSON, read back one at a time."""
    json_files, out, created, render, summary_key, as_at, *rest = args
    sign = rest[0] if rest else None
    from .. import report
    from ..atomic import replacing, write_text
    from ..report.network import write_matrix_csv

    out = Path(out)
    with replacing(out / "network-summary.csv") as tmp, open(tmp, "w", encoding="utf-8", newline="") as fh:
        write_matrix_csv(lambda: _slims(json_files), fh)
    if render:
        report.write_network_pdf(list(_slims(json_files)), out / "network-summary.pdf", created=created,
                                 as_at=dt.date.fromisoformat(as_at), sign=_signer(sign))
    else:
        (out / "network-summary.pdf").unlink(missing_ok=True)   # it summarised other results
    write_text(out / ".network-summary.key", f"{summary_key} pdf {_created_tag(created)}" if render
               else f"{summary_key} json")


def _created_tag(created: Optional[dt.datetime]) -> str:
    return created.isoformat() if created is not None else "unpinned"


def _fresh(key_file: Path, key: Optional[str], render: bool, created: Optional[dt.datetime]) -> bool:
    """Whether the outputs a key file vouches for are current: the same inputs, and a PDF made
    with the same ``--created`` when PDFs are wanted (a --no-pdf run's key never vouches for one)."""
    if not key or not key_file.is_file():
        return False
    try:
        recorded = key_file.read_text()
    except (OSError, UnicodeDecodeError):
        return False
    if render:
        return recorded == f"{key} pdf {_created_tag(created)}"
    return recorded == f"{key} json" or recorded.startswith(f"{key} pdf ")


def site_key(sub: Path, spec_sha: str, review: Optional[Path], derogations: Optional[Path],
             tailoring: Optional[Path], as_at: str = "") -> str:
    """What a site's outputs depend on: its inputs (see :func:`key_from_hashes`) and the as-at day
    (a report flags what is overdue on that day)."""
    content = key_from_hashes(_sha(sub), _sha(review), _sha(derogations), _sha(tailoring), spec_sha, __version__)
    return hashlib.sha256(f"{content}\0{as_at}".encode()).hexdigest() if as_at else content


def key_from_hashes(sub: Optional[str], review: Optional[str], derogations: Optional[str], tailoring: Optional[str],
                    spec: str, engine_version: Optional[str]) -> str:
    """The content key of a site's inputs, from their SHA-256 (None for an input not used): the
    engine version, the spec and every input file. The register keys its assessments by it."""
    h = hashlib.sha256()
    for part in (sub or "-", review or "-", derogations or "-", tailoring or "-", spec, engine_version or "-",
                 REPORT_VERSION):
        h.update(part.encode() + b"\0")
    return h.hexdigest()


def _peek(sub: Path) -> tuple[Optional[str], Optional[str]]:
    """The spec hash and the site code a submission names, without a full parse (cheap; None
    for what cannot be read: the full parse reports it)."""
    from .. import spec as spec_mod
    from ..inputs import yamlsafe

    if sub.suffix.lower() in (".xlsx", ".xlsm"):
        from ..inputs import workbook_read

        try:   # the spec from the About sheet, the code from the Site row About names
            sid, code = workbook_read.peek(yamlsafe.read_bytes(sub), str(sub))
        except InputError:
            return None, None
        try:
            return (spec_mod.load(sid).sha256 if sid else None), code
        except InputError:
            return None, code
    try:
        doc = yamlsafe.load_file(sub)
    except InputError:
        return None, None
    data = doc.data if isinstance(doc.data, dict) else {}
    site = data.get("site")
    code = site.get("code") if isinstance(site, dict) else None
    code = code.strip() if isinstance(code, str) and code.strip() else None
    sid = data.get("spec")
    try:
        return (spec_mod.load(sid).sha256 if isinstance(sid, str) else None), code
    except InputError:
        return None, code




STALE_DIR = "stale"


def _outputs_of(out: Path, name: str) -> list[Path]:
    return [p for p in (out / f"{name}.json", out / f"{name}.pdf", out / f".{name}.key") if p.is_file()]


def move_aside(out: Path, name: str, reason: str) -> Optional[dict[str, Any]]:
    """Move a site's outputs into ``stale/`` (its key file is dropped), so none looks current."""
    files = _outputs_of(out, name)
    shown = [p for p in files if not p.name.startswith(".")]
    if not shown:
        for p in files:
            p.unlink(missing_ok=True)
        return None
    (out / STALE_DIR).mkdir(exist_ok=True)
    moved = []
    for p in files:
        if p.name.startswith("."):
            p.unlink(missing_ok=True)
        else:
            os.replace(p, out / STALE_DIR / p.name)
            moved.append(f"{STALE_DIR}/{p.name}")
    return {"name": name, "reason": reason, "files": moved}


class OutputLock:
    """One batch at a time per output folder: an exclusive lock on ``.batch.lock``. A second
    batch waits up to ``wait`` seconds, then refuses with a clear error; neither corrupts the other."""

    def __init__(self, out: Path, wait: float = 10.0):
        self.path, self.wait, self.fh = out / ".batch.lock", wait, None

    def __enter__(self) -> "OutputLock":
        try:
            import fcntl
        except ImportError:  # not POSIX: no lock (documented)
            return self
        self.fh = open(self.path, "a+")
        deadline = time.monotonic() + self.wait
        while True:
            try:
                fcntl.flock(self.fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except OSError:
                if time.monotonic() >= deadline:
                    self.fh.close()
                    self.fh = None
                    raise InputError.at(str(self.path.parent), "another batch is writing this output folder; "
                                        f"waited {self.wait:g}s, try again when it has finished") from None
                time.sleep(0.1)

    def __exit__(self, *exc: Any) -> None:
        if self.fh is not None:
            self.fh.close()   # closing releases the lock


def run(folder: str | Path, outdir: str | Path, *, jobs: Optional[int] = None, render: bool = True,
        created: Optional[dt.datetime] = None, progress: Optional[Callable[[SiteOutcome], None]] = None,
        review_dir: Optional[Path] = None, as_at: Optional[dt.date] = None, executor: str = "local",
        scheduler: Optional[str] = None, recycle_after: int = executors.RECYCLE_AFTER,
        lock_wait: float = 10.0, register: Optional[str | Path] = None, record: bool = True,
        sign: Any = None) -> BatchResult:
    """Assess (and render) every submission in ``folder`` into ``outdir``; with ``record`` (the
    default), append the run to the register (``register``, or ``register.sqlite`` in ``outdir``); then
    write ``manifest.json``. ``sign`` (a ``report.sign.SignConfig``) signs every PDF and the manifest.

    ``as_at`` is the day reports judge overdue dates on (default: the ``created`` day, else today).
    ``executor`` is ``"local"`` (``jobs`` worker processes; by default as many as the cores and
    the memory allow) or ``"dask"`` (the workers of the Dask cluster at ``scheduler``, which must
    see ``folder`` and ``outdir`` at the same paths). Either writes the same files. One batch at
    a time writes ``outdir`` (another waits up to ``lock_wait`` seconds, then is refused)."""
    folder, out = Path(folder), Path(outdir)
    if not folder.is_dir():
        raise InputError.at(str(folder), "is not a folder of submissions")
    reviews = review_dir or folder / "reviews"
    if out.exists() and not out.is_dir():
        raise InputError.at(str(out), "the output folder is a file; give a folder (-o DIR)")
    if os.path.realpath(out) == os.path.realpath(reviews) or settings_problem(out / "x"):
        raise InputError.at(str(out), "the output folder is a reviews/ folder, which holds the network's reviews; "
                                      "write outputs elsewhere")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError.at(str(out), f"cannot create the output folder: {exc.strerror or exc}") from None
    if not os.access(out, os.W_OK):
        raise InputError.at(str(out), "output folder is not writable")
    with OutputLock(out, lock_wait):
        reg = None
        if record:   # opened (created, migrated, checked) first: a bad register fails before any work
            from . import register as register_mod

            reg = register_mod.open_register(register or register_mod.default_path(out))
        try:
            started = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
            result = _run(folder, out, jobs=jobs, render=render, created=created, progress=progress,
                          review_dir=review_dir, as_at=as_at, executor=executor, scheduler=scheduler,
                          recycle_after=recycle_after, sign=sign)
            if reg is not None:
                result.run_id = _record(reg, folder, out, result, started)
            return result
        finally:
            if reg is not None:
                reg.close()


def _record(reg: Any, folder: Path, out: Path, result: "BatchResult", started: str) -> int:
    """One transaction: the run and every site's state, in the main process from the per-site results."""
    from .register import SiteRecord

    def reader(path: Optional[str]) -> Callable[[], Optional[dict[str, Any]]]:
        return lambda: json.loads(Path(path).read_text()) if path and Path(path).is_file() else None

    sites = []
    for o in result.sites:
        state = {"rendered": "assessed"}.get(o.state, o.state)
        if state in ("assessed", "cached") and not (o.json_path and Path(o.json_path).is_file()):
            state = "failed"
        # keyed by the result's own input hashes (the cache key also holds the as-at day)
        sites.append(SiteRecord(Path(o.file).name, state, None, reader(o.json_path), [str(p) for p in o.problems]))
    return reg.record_run("batch", sites, source=str(folder.resolve()), output=str(out.resolve()),
                          started_at=started, removed_from_previous=True)


def _run(folder: Path, out: Path, *, jobs: Optional[int], render: bool, created: Optional[dt.datetime],
         progress: Optional[Callable[[SiteOutcome], None]], review_dir: Optional[Path],
         as_at: Optional[dt.date], executor: str, scheduler: Optional[str], recycle_after: int,
         sign: Any = None) -> BatchResult:
    from ..inputs import review as review_mod

    day = (as_at or (created.date() if created else dt.date.today())).isoformat()
    start = time.perf_counter()
    _remove_partial(out)  # left by a killed run
    settings = _settings(folder)
    reviews = review_dir or folder / "reviews"
    subs = find_submissions(folder)
    outcomes: list[SiteOutcome] = []
    # site.yaml and site.xlsx would write the same site.json and site.pdf: the second is refused
    first: dict[str, Path] = {}
    for sub in list(subs):
        if sub.suffix.lower() in OTHER_SHEETS:
            subs.remove(sub)
            other = SiteOutcome(str(sub), "invalid", None, [Problem(str(sub), f"is a {sub.suffix} file, which is not "
                                "read: open it and save it as .xlsx (Excel Workbook)")])
            outcomes.append(other)
            if progress:
                progress(other)
            continue
        if first.setdefault(sub.stem, sub) is not sub:
            subs.remove(sub)
            clash = SiteOutcome(str(sub), "invalid", None, [Problem(str(sub), f"has the same name as "
                                f"{first[sub.stem].name}, so their reports would overwrite each other; rename one")])
            outcomes.append(clash)
            if progress:
                progress(clash)
    matches, folder_problems = review_mod.match_folder(subs, reviews)
    stale: list[dict[str, Any]] = []
    names = {s.stem for s in subs}
    for key_file in sorted(out.glob(".*.key")):   # outputs of submissions no longer in the folder
        name = key_file.name[1:-len(".key")]
        if name != "network-summary" and name not in names:
            moved = move_aside(out, name, "its submission was removed from the folder")
            if moved:
                stale.append(moved)

    peeked = {sub: _peek(sub) for sub in subs}
    by_code: dict[str, list[Path]] = {}
    for sub, (_, code) in peeked.items():
        if code is not None and sub.stem.lower() not in RESERVED:
            by_code.setdefault(code, []).append(sub)

    def refused(sub: Path) -> Optional[str]:
        """Why a site is refused before it is assessed, or None."""
        if sub.stem.lower() in RESERVED:
            return (f"a submission cannot be named {sub.name}: its outputs would overwrite the network's "
                    f"{sub.stem.lower()} files in {out}; rename it")
        code = peeked[sub][1]
        if code is not None and len(by_code[code]) > 1:
            others = ", ".join(p.name for p in by_code[code] if p != sub)
            return (f"site code {code!r} is also the site of {others}; one submission per site in a batch "
                    "(remove the older one or correct the code)")
        review = reviews / sub.name
        if review.is_symlink() and not review.exists():
            return f"its review {review} is a symbolic link to a file that does not exist"
        if review.exists() and not review.is_file():
            return f"its review {review} is not a regular file"
        return None

    def todo():
        """Sites to (re)process, found lazily; cached ones are reported as they are met."""
        for sub in subs:
            why = refused(sub)
            if why:
                outcome = SiteOutcome(str(sub), "invalid", None, [Problem(str(sub), why)])
                outcomes.append(outcome)
                if progress:
                    progress(outcome)
                continue
            m = matches.get(sub)
            review, how = (m.review, m.how) if m else (None, None)
            spec_sha = peeked[sub][0]
            key = site_key(sub, spec_sha, review, settings["derogations"], settings["tailoring"], day) if spec_sha else None
            key = key and key + _signing_salt(sign)
            name = sub.stem
            key_file, json_file = out / f".{name}.key", out / f"{name}.json"
            if (_fresh(key_file, key, render, created) and json_file.is_file()
                    and (not render or (out / f"{name}.pdf").is_file())):
                status, warnings = _status_of(json_file)
                if status:
                    outcome = SiteOutcome(str(sub), "cached", status, json_path=str(json_file), warnings=warnings,
                                          key=key)
                    outcomes.append(outcome)
                    if progress:
                        progress(outcome)
                    continue
            yield (str(sub), review, settings["derogations"], settings["tailoring"], str(out), key, render, day, how)

    pool = executors.make(executor, jobs=jobs, render=render, sites=len(subs), scheduler=scheduler,
                          folders=(folder, out), recycle_after=recycle_after)
    with _Workers(pool) as workers:
        # phase 1: assess every site that changed (fast); report it now unless a PDF is still to come
        assessed = []
        for o in workers.map(_assess, todo(), on_error=lambda item, msg: SiteOutcome(item[0], "failed", None,
                                                                                      [Problem(item[0], msg)])):
            if o.state == "rendered" and render:
                assessed.append(o)
            else:
                outcomes.append(o)
                if progress:
                    progress(o)

        # phase 2: the network summary and every site's PDF, side by side on the workers
        done = sorted(outcomes + assessed, key=lambda o: o.file)
        json_files = [o.json_path for o in done if o.json_path]
        summary_key = hashlib.sha256("".join(_sha(Path(p)) for p in json_files).encode()
                                     + REPORT_VERSION.encode() + day.encode()).hexdigest() + _signing_salt(sign)
        key_file = out / ".network-summary.key"
        summary_due = bool(json_files) and (
            bool(assessed) or any(o.state == "rendered" for o in outcomes)
            or not _fresh(key_file, summary_key, render, created) or not (out / "network-summary.csv").is_file()
            or (render and not (out / "network-summary.pdf").is_file()))
        # the summary first: it is the longest single task
        tasks: list[tuple] = [("summary", (json_files, str(out), created, render, summary_key, day, sign), -1)] if summary_due else []
        order = list(range(len(assessed)))
        if workers.pool is not None:
            # longest first (a report's length follows its result's size), so the tasks left at the
            # end are the shortest: no worker idles long while another finishes a long report
            order.sort(key=lambda i: -_size(assessed[i].json_path))
        tasks += [("site", assessed[i].render_args + (created, day, sign), i) for i in order]
        summary_problem = None
        for (kind, _, i), failure in workers.run_all(_phase2, tasks):
            if kind == "summary":
                if failure:  # the sites' own outputs still count; the next run renders the summary again
                    summary_problem = Problem(str(out / "network-summary.pdf"), failure)
                continue
            o = assessed[i]
            if failure:
                o.state, o.problems = "failed", o.problems + [Problem(o.file, failure)]
            outcomes.append(o)
            if progress:
                progress(o)
    _remove_partial(out)  # left by a worker lost mid-write (its task was re-run or reported)
    outcomes.sort(key=lambda o: o.file)
    current = {Path(o.file).stem for o in outcomes if o.state in ("rendered", "cached")}
    for o in outcomes:   # a site with no current result keeps no output that looks current
        if o.state in ("invalid", "failed") and Path(o.file).stem not in current:
            why = "its input is invalid" if o.state == "invalid" else "it could not be processed in this run"
            moved = move_aside(out, Path(o.file).stem, why)
            if moved:
                stale.append(moved)
    if not render:  # a PDF left by an earlier run whose inputs have changed since is not current
        stale += _set_aside_stale_pdfs(out, outcomes)
    _write_manifest(out, outcomes, render and summary_problem is None, sign)
    return BatchResult(outcomes, summary_due and summary_problem is None, time.perf_counter() - start, out,
                       summary_problem, folder_problems, stale)


def _size(path: Optional[str]) -> int:
    try:
        return os.stat(path).st_size if path else 0
    except OSError:
        return 0


def _remove_partial(out: Path) -> None:
    """Remove temporary files of unfinished writes (only ever called with no task in flight)."""
    for stale in list(out.glob(".*.part")) + list(out.glob(".*.tmp")):
        stale.unlink(missing_ok=True)


def _signing_salt(sign: Any) -> str:
    """Part of a cache key: a PDF signed with another certificate (or unsigned) is not reused."""
    if sign is None:
        return ""
    cert = Path(sign.cert or sign.key)
    return ":signed:" + (_sha(cert) if cert.is_file() else "?")[:16]


def _write_manifest(out: Path, outcomes: list[SiteOutcome], render: bool, sign: Any) -> None:
    """``manifest.json``, last: every document's id and the SHA-256 of its JSON and PDF
    (see ``report.manifest``). A PDF not made from its site's current JSON is not listed."""
    from ..report import manifest

    sites = [(Path(o.json_path), Path(o.json_path).with_suffix(".pdf"), Path(o.file).name)
             for o in outcomes if o.json_path and o.state not in ("invalid", "failed")]
    summary_pdf: Optional[Path] = out / "network-summary.pdf"
    if not render and summary_pdf.is_file():  # not made by this run: listed only if still current
        from ..report.view import network_id

        json_files = [o.json_path for o in sorted(outcomes, key=lambda o: o.file) if o.json_path]
        if manifest.pdf_document_id(summary_pdf) != network_id(_slims(json_files)):
            summary_pdf = None
    manifest.write(out, manifest.build(out, sites, __version__, summary_pdf=summary_pdf,
                                       summary_csv=out / "network-summary.csv", check_pdfs=not render),
                   sign=sign)


def _set_aside_stale_pdfs(out: Path, outcomes: list[SiteOutcome]) -> list[dict[str, Any]]:
    """After ``--no-pdf``: a site re-assessed this run whose PDF (from an earlier run) no longer
    matches its new JSON has that PDF moved to ``stale/``, so nothing in the output folder looks
    current that is not, and a later run with PDFs renders it again instead of reusing it."""
    from ..report.manifest import pdf_document_id
    from ..report.view import document_id

    moved = []
    for o in outcomes:
        if not o.json_path or o.state != "rendered":
            continue
        pdf = Path(o.json_path).with_suffix(".pdf")
        if pdf.is_file() and pdf_document_id(pdf) != document_id(json.loads(Path(o.json_path).read_text())):
            (out / STALE_DIR).mkdir(exist_ok=True)
            os.replace(pdf, out / STALE_DIR / pdf.name)
            moved.append({"name": pdf.stem, "reason": "its inputs changed and --no-pdf did not render it again",
                          "files": [f"{STALE_DIR}/{pdf.name}"]})
    return moved


def _status_of(json_file: Path) -> tuple[Optional[str], list[str]]:
    try:
        data = json.loads(json_file.read_text())
        return data["outcome"]["status"], [str(w) for w in data.get("warnings") or []]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None, []  # a damaged cache entry is simply rebuilt


def _slims(json_files: list):
    for p in json_files:
        yield slim(json.loads(Path(p).read_text()))


class Stopped(KeyboardInterrupt):
    """The batch was told to stop (SIGTERM, SIGHUP): its workers are stopped with it."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """Turn SIGTERM and SIGHUP into :class:`Stopped` in the main thread while a batch runs, so the
    pool is torn down (workers terminated, nothing left running) instead of the process vanishing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, _frame: Any) -> None:
        raise Stopped(signum)

    old = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)


class _Workers:
    """Drives an :class:`~.executors.Executor`: keeps only a few tasks in flight (flat memory),
    survives a lost worker (the site it held is reported, the pool rebuilt, the rest resubmitted),
    drains and replaces local workers after many reports, and runs inline without an executor."""

    def __init__(self, executor: Optional[Executor]):
        self.pool = executor

    def __enter__(self) -> "_Workers":
        return self

    def __exit__(self, exc_type: Any, *exc: Any) -> None:
        if self.pool is not None:
            self.pool.close(cancel=exc_type is not None)

    def map(self, fn: Callable[[Any], Any], items: Any, on_error: Callable[[Any, str], Any]):
        for item, failure, value in self._run(fn, items, wrap=False):
            yield on_error(item, failure) if failure else value

    def run_all(self, fn: Callable[[Any], Any], items: Any):
        """Yield (item, failure message or None) as tasks finish; ``fn`` runs in the workers."""
        if self.pool is not None:
            self.pool.counting = True  # reports: these are what make a worker's memory grow
        for item, failure, _ in self._run(fn, items, wrap=True):
            yield item, failure

    def _run(self, fn: Callable[[Any], Any], items: Any, wrap: bool):
        pool = self.pool
        if pool is None:
            for item in items:
                try:
                    yield item, None, fn(item)
                except (InputError, OSError, RuntimeError) as exc:
                    if not wrap:
                        raise
                    yield item, _message(exc), None
            return
        in_flight: dict[Future, Any] = {}
        items = iter(items)
        more = True
        while True:
            while more and len(in_flight) < pool.slots and not pool.recycle_due():
                item = next(items, None)
                if item is None:
                    more = False
                    break
                in_flight[pool.submit(fn, item)] = item
            if not in_flight:
                if more:  # drained for recycling: fresh workers, then go on
                    pool.recycle()
                    continue
                return
            done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            for f in done:
                item = in_flight.pop(f, None)
                if item is None:  # lost with a broken pool and already resubmitted
                    continue
                try:
                    yield item, None, f.result()
                except Exception as exc:  # a bug or a full disk must not lose the other sites' work
                    lost = pool.lost(exc)
                    if lost is None:
                        yield item, _message(exc), None
                        continue
                    yield item, lost, None
                    if isinstance(exc, BrokenProcessPool):
                        pool.rebuild()
                        for g, other in list(in_flight.items()):  # resubmit the ones lost with the pool
                            del in_flight[g]
                            in_flight[pool.submit(fn, other)] = other


def _message(exc: BaseException) -> str:
    if isinstance(exc, InputError):
        return "; ".join(p.message for p in exc.problems)
    if isinstance(exc, OSError):
        return f"cannot write output: {exc.strerror or exc}"
    return f"{type(exc).__name__}: {exc}"
