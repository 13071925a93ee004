"""The register: a network's memory of every run and every site's assessment, in one SQLite file.

``batch`` (and ``assess --record``) append to it; ``due``, ``history`` and Datasette read it.

* **One file**, the standard library's :mod:`sqlite3` (no server, no new dependency); rollback
  journal, not WAL, so the register stays one file a network can copy, mail or publish.
* **Versioned migrations**: ``schema_version`` holds every version applied, with its date. A
  register from a newer ``designation`` is refused (never half-understood); an older one is
  migrated forward in a transaction.
* **Transactional**: a run is written in one ``BEGIN IMMEDIATE`` … ``COMMIT``, so a batch killed
  at any moment leaves the register as it was before the run or as it is after it, never half.
  The register is written by the main process only, from the per-site results, so any executor
  (processes, Dask) records the same rows.
* **Deduplicated**: an assessment is stored once, keyed by its inputs (file name, the SHA-256 of
  submission, review, derogations, tailoring and spec, and the engine version); every run
  links every site to its assessment (``run_sites``) with its state: ``assessed``, ``cached``,
  or ``invalid`` / ``failed`` / ``removed`` (the site's last assessment is then *stale*).

Tables: ``runs``, ``assessments``, ``run_sites``, ``standards``, ``conditions``,
``recommendations``, ``advisory``, ``derogations``, ``evidence``, ``to_change``; views
``current_sites`` (each submission file's latest state and last assessment) and ``due_items``
(every dated item of the current, non-stale assessments).
"""
from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
import os
import socket
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Optional

from .. import __version__
from ..errors import InputError, Problem

FILENAME = "register.sqlite"
LOCK_WAIT_SECONDS = 10.0

MIGRATIONS: list[tuple[int, str, list[str]]] = [
    (1, "runs, assessments, run_sites, standards, conditions, recommendations, advisory, derogations, evidence, "
        "to_change; views current_sites and due_items", [
        """CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('batch', 'assess')),
            started_at TEXT NOT NULL,
            finished_at TEXT NOT NULL,
            run_by TEXT NOT NULL,
            host TEXT,
            source TEXT,
            output TEXT,
            engine_version TEXT NOT NULL,
            sites INTEGER NOT NULL,
            invalid INTEGER NOT NULL,
            stale INTEGER NOT NULL
        )""",
        """CREATE TABLE assessments (
            id INTEGER PRIMARY KEY,
            input_key TEXT NOT NULL UNIQUE,
            first_run_id INTEGER NOT NULL REFERENCES runs(id),
            submission_file TEXT NOT NULL,
            site_code TEXT NOT NULL,
            site_name TEXT,
            organisation TEXT,
            network TEXT,
            spec_id TEXT NOT NULL,
            spec_edition TEXT,
            spec_title TEXT,
            claimed TEXT,
            assessed_on TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('designated', 'designated_with_conditions', 'not_designated')),
            label TEXT,
            qualifies_for TEXT,
            rating TEXT,
            rating_percent REAL,
            score_overall REAL,
            score_core REAL,
            score_expected REAL,
            score_developmental REAL,
            score_overall_before REAL,
            core_met INTEGER,
            core_of INTEGER,
            core_covered INTEGER,
            expected_met INTEGER,
            expected_of INTEGER,
            expected_covered INTEGER,
            expected_share REAL,
            expected_share_before_covers REAL,
            advisory_count INTEGER,
            met INTEGER, partially_met INTEGER, not_met INTEGER, not_applicable INTEGER, not_answered INTEGER,
            valid_until TEXT,
            to_change_target TEXT,
            document_id TEXT NOT NULL,
            submission_sha256 TEXT NOT NULL,
            spec_sha256 TEXT,
            review_sha256 TEXT,
            derogations_sha256 TEXT,
            tailoring_sha256 TEXT,
            review_file TEXT,
            review_match TEXT,
            derogations_file TEXT,
            tailoring_file TEXT,
            engine_version TEXT NOT NULL,
            signed_off_by TEXT,
            signed_off_on TEXT,
            reviewed_by TEXT,
            reviewed_on TEXT,
            warnings TEXT NOT NULL DEFAULT '[]'
        )""",
        "CREATE INDEX assessments_site ON assessments (site_code)",
        "CREATE INDEX assessments_file ON assessments (submission_file)",
        """CREATE TABLE run_sites (
            run_id INTEGER NOT NULL REFERENCES runs(id),
            submission_file TEXT NOT NULL,
            site_code TEXT,
            state TEXT NOT NULL CHECK (state IN ('assessed', 'cached', 'invalid', 'failed', 'removed')),
            assessment_id INTEGER REFERENCES assessments(id),
            problems TEXT NOT NULL DEFAULT '[]',
            PRIMARY KEY (run_id, submission_file)
        )""",
        "CREATE INDEX run_sites_assessment ON run_sites (assessment_id)",
        """CREATE TABLE standards (
            assessment_id INTEGER NOT NULL REFERENCES assessments(id),
            standard TEXT NOT NULL, title TEXT, domain TEXT, category TEXT, status TEXT NOT NULL,
            reason TEXT, required TEXT, reported TEXT NOT NULL DEFAULT '{}', flags TEXT NOT NULL DEFAULT '[]',
            gating INTEGER, advisory_reason TEXT, confidence TEXT,
            PRIMARY KEY (assessment_id, standard)
        )""",
        """CREATE TABLE conditions (
            assessment_id INTEGER NOT NULL REFERENCES assessments(id),
            standard TEXT NOT NULL, title TEXT, category TEXT, kind TEXT, action TEXT, owner TEXT, due TEXT
        )""",
        """CREATE TABLE recommendations (
            assessment_id INTEGER NOT NULL REFERENCES assessments(id),
            standard TEXT NOT NULL, title TEXT, status TEXT, required TEXT, kind TEXT, action TEXT, owner TEXT,
            due TEXT
        )""",
        """CREATE TABLE advisory (
            assessment_id INTEGER NOT NULL REFERENCES assessments(id),
            standard TEXT NOT NULL, title TEXT, category TEXT, status TEXT, why TEXT, kind TEXT, due TEXT
        )""",
        """CREATE TABLE derogations (
            assessment_id INTEGER NOT NULL REFERENCES assessments(id),
            standard TEXT, reason TEXT, approver TEXT, approved_on TEXT, expires_on TEXT, status TEXT, note TEXT
        )""",
        """CREATE TABLE evidence (
            assessment_id INTEGER NOT NULL REFERENCES assessments(id),
            standards TEXT NOT NULL, title TEXT, reference TEXT, dated TEXT, owner TEXT, stale_on TEXT
        )""",
        """CREATE TABLE to_change (
            assessment_id INTEGER NOT NULL REFERENCES assessments(id),
            position INTEGER NOT NULL, standard TEXT NOT NULL, title TEXT, required TEXT, target TEXT
        )""",
        "CREATE INDEX conditions_a ON conditions (assessment_id)",
        "CREATE INDEX recommendations_a ON recommendations (assessment_id)",
        "CREATE INDEX derogations_a ON derogations (assessment_id)",
        "CREATE INDEX evidence_a ON evidence (assessment_id)",
        "CREATE INDEX to_change_a ON to_change (assessment_id)",
        # each submission file's latest state, with its last assessment (stale when the latest
        # state is invalid, failed or removed)
        """CREATE VIEW current_sites AS
        SELECT rs.submission_file, rs.state, rs.run_id AS last_run_id, r.finished_at AS last_run_at,
               rs.state IN ('invalid', 'failed', 'removed') AS stale, rs.problems,
               a.id AS assessment_id, a.site_code, a.site_name, a.organisation, a.network, a.spec_id, a.spec_edition,
               a.claimed, a.assessed_on, a.status, a.label, a.qualifies_for, a.rating, a.score_overall,
               a.core_met, a.core_of, a.expected_met, a.expected_of, a.expected_share, a.valid_until, a.document_id
        FROM run_sites rs
        JOIN runs r ON r.id = rs.run_id
        LEFT JOIN assessments a ON a.id = (
            SELECT x.assessment_id FROM run_sites x
            WHERE x.submission_file = rs.submission_file AND x.assessment_id IS NOT NULL
            ORDER BY x.run_id DESC LIMIT 1)
        WHERE rs.run_id = (SELECT MAX(y.run_id) FROM run_sites y WHERE y.submission_file = rs.submission_file)""",
        """CREATE VIEW due_items AS
        SELECT c.assessment_id, 'condition' AS kind, c.standard, c.title, c.action AS what, c.owner, c.due
          FROM conditions c WHERE c.due IS NOT NULL
        UNION ALL
        SELECT r.assessment_id, 'recommendation', r.standard, r.title, r.action, r.owner, r.due
          FROM recommendations r WHERE r.due IS NOT NULL
        UNION ALL
        SELECT d.assessment_id, 'derogation expires', d.standard, NULL, d.reason, d.approver, d.expires_on
          FROM derogations d WHERE d.status = 'applied' AND d.expires_on IS NOT NULL
        UNION ALL
        SELECT e.assessment_id, 'evidence goes stale', e.standards, e.title, e.reference, e.owner, e.stale_on
          FROM evidence e WHERE e.stale_on IS NOT NULL
        UNION ALL
        SELECT a.id, 're-designation', NULL, NULL, 'designation validity ends', a.network, a.valid_until
          FROM assessments a WHERE a.valid_until IS NOT NULL""",
    ]),
]
SCHEMA_VERSION = MIGRATIONS[-1][0]


@dataclass
class SiteRecord:
    """What a run knows of one site: enough to link it to its assessment without re-reading it."""

    submission_file: str                     # the file name (no folder), the site's identity across rounds
    state: str                               # assessed | cached | invalid | failed
    key: Optional[str] = None                # the content key of its inputs, when known
    result: Optional[Callable[[], dict[str, Any]]] = None   # reads the JSON result, only if needed
    problems: list[str] = field(default_factory=list)
    site_code: Optional[str] = None


def input_key(submission_file: str, content_key: str) -> str:
    return hashlib.sha256(f"{submission_file}\0{content_key}".encode()).hexdigest()


def content_key_of(result: dict[str, Any]) -> str:
    """The batch cache key of a result, from the hashes it records (equal to ``batch.site_key``)."""
    from .batch import key_from_hashes

    i = result.get("inputs") or {}
    return key_from_hashes(i.get("workbook_sha256") or i.get("submission_sha256"), i.get("review_sha256"), i.get("derogations_sha256"),
                           i.get("tailoring_sha256"), i.get("spec_sha256") or "-", i.get("engine_version"))


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def _who() -> str:
    try:
        return os.environ.get("DESIGNATION_RUN_BY") or getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


class Register:
    """An open register. Use :func:`open_register`; close it (or use ``with``)."""

    def __init__(self, conn: sqlite3.Connection, path: str, readonly: bool):
        self.conn, self.path, self.readonly = conn, path, readonly

    def __enter__(self) -> "Register":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        self.conn.close()

    # -- writing ------------------------------------------------------------------------------

    def record_run(self, kind: str, sites: Iterable[SiteRecord], *, source: Optional[str] = None,
                   output: Optional[str] = None, started_at: Optional[str] = None,
                   removed_from_previous: bool = False) -> int:
        """Record one run and every site's state in one transaction; returns the run id.

        With ``removed_from_previous`` (batch), files the previous batch run saw that this run
        does not are recorded as ``removed``, so their last assessment shows as stale."""
        if self.readonly:
            raise InputError.at(self.path, "the register is read-only; cannot record this run")
        sites = list(sites)
        spec_ages: dict[str, int] = {}
        with self._write():
            c = self.conn
            run_id = c.execute(
                "INSERT INTO runs (kind, started_at, finished_at, run_by, host, source, output, engine_version, "
                "sites, invalid, stale) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0)",
                (kind, started_at or _now(), _now(), _who(), socket.gethostname(), source, output, __version__),
            ).lastrowid
            seen = set()
            for s in sites:
                seen.add(s.submission_file)
                assessment_id, code = None, s.site_code
                if s.state in ("assessed", "cached"):
                    assessment_id, code = self._assessment(s, run_id, spec_ages)
                elif code is None:
                    code = self._last_code(s.submission_file)
                c.execute("INSERT OR REPLACE INTO run_sites (run_id, submission_file, site_code, state, assessment_id,"
                          " problems) VALUES (?, ?, ?, ?, ?, ?)",
                          (run_id, s.submission_file, code, s.state, assessment_id, json.dumps(s.problems)))
            removed = 0
            if removed_from_previous:
                prev = c.execute("SELECT MAX(id) FROM runs WHERE kind = 'batch' AND id < ?", (run_id,)).fetchone()[0]
                if prev is not None:
                    for (f, code) in c.execute("SELECT submission_file, site_code FROM run_sites WHERE run_id = ? "
                                               "AND state != 'removed'", (prev,)).fetchall():
                        if f not in seen:
                            c.execute("INSERT INTO run_sites (run_id, submission_file, site_code, state, "
                                      "assessment_id, problems) VALUES (?, ?, ?, 'removed', NULL, '[]')",
                                      (run_id, f, code))
                            removed += 1
            invalid = sum(1 for s in sites if s.state in ("invalid", "failed"))
            c.execute("UPDATE runs SET sites = ?, invalid = ?, stale = ?, finished_at = ? WHERE id = ?",
                      (len(sites), invalid, invalid + removed, _now(), run_id))
        return int(run_id)  # type: ignore[arg-type]

    def _write(self) -> "_Transaction":
        return _Transaction(self)

    def _last_code(self, submission_file: str) -> Optional[str]:
        row = self.conn.execute("SELECT site_code FROM assessments WHERE submission_file = ? ORDER BY id DESC LIMIT 1",
                                (submission_file,)).fetchone()
        return row[0] if row else None

    def _assessment(self, s: SiteRecord, run_id: int, spec_ages: dict[str, int]) -> tuple[int, str]:
        c = self.conn
        result = None
        if s.key is None:
            result = s.result() if s.result else None
            if result is None:
                raise InputError.at(s.submission_file, "no result to record")
            s.key = content_key_of(result)
        key = input_key(s.submission_file, s.key)
        row = c.execute("SELECT id, site_code FROM assessments WHERE input_key = ?", (key,)).fetchone()
        if row:
            return row[0], row[1]
        if result is None:
            result = s.result() if s.result else None
            if result is None:
                raise InputError.at(s.submission_file, "no result to record")
        return self._insert(result, key, s.submission_file, run_id, s.problems, spec_ages), result["site"]["code"]

    def _insert(self, r: dict[str, Any], key: str, submission_file: str, run_id: int, warnings: list[str],
                spec_ages: dict[str, int]) -> int:
        from ..report.view import document_id

        o, sc, inp = r["outcome"], r["score"], r.get("inputs") or {}
        den = o.get("denominators") or {}
        core, exp = den.get("core") or {}, den.get("expected") or {}
        files = inp.get("files") or {}
        rating = o.get("rating") or {}
        counts = r.get("counts") or {}
        by_cat = sc.get("by_category") or {}
        signed = r.get("signed_off_by") or {}
        review = r.get("review") or {}
        row = {
            "input_key": key, "first_run_id": run_id, "submission_file": submission_file,
            "site_code": r["site"]["code"], "site_name": r["site"].get("name"),
            "organisation": r["site"].get("organisation"), "network": r["site"].get("network"),
            "spec_id": r["spec"]["id"], "spec_edition": r["spec"].get("edition"), "spec_title": r["spec"].get("title"),
            "claimed": r.get("claimed"), "assessed_on": r["assessed_on"], "status": o["status"],
            "label": o.get("label"), "qualifies_for": o.get("qualifies_for"),
            "rating": rating.get("band"), "rating_percent": rating.get("percent"),
            "score_overall": sc.get("overall"), "score_core": by_cat.get("core"),
            "score_expected": by_cat.get("expected"), "score_developmental": by_cat.get("developmental"),
            "score_overall_before": (sc.get("before_adjustments") or {}).get("overall"),
            "core_met": core.get("met"), "core_of": core.get("of"), "core_covered": core.get("covered"),
            "expected_met": exp.get("met"), "expected_of": exp.get("of"), "expected_covered": exp.get("covered"),
            "expected_share": exp.get("share"), "expected_share_before_covers": exp.get("share_before_covers"),
            "advisory_count": den.get("advisory"),
            **{k: counts.get(k) for k in ("met", "partially_met", "not_met", "not_applicable", "not_answered")},
            "valid_until": o.get("valid_until"), "to_change_target": o.get("to_change_target"),
            "document_id": document_id(r),
            "submission_sha256": inp.get("submission_sha256") or "", "spec_sha256": inp.get("spec_sha256"),
            "review_sha256": inp.get("review_sha256"), "derogations_sha256": inp.get("derogations_sha256"),
            "tailoring_sha256": inp.get("tailoring_sha256"),
            "review_file": files.get("review"), "review_match": files.get("review_match"),
            "derogations_file": files.get("derogations"), "tailoring_file": files.get("tailoring"),
            "engine_version": inp.get("engine_version") or __version__,
            "signed_off_by": signed.get("name"), "signed_off_on": signed.get("date"),
            "reviewed_by": review.get("reviewer"), "reviewed_on": review.get("reviewed_on"),
            "warnings": json.dumps([str(w) for w in (r.get("warnings") or warnings)]),
        }
        aid = self._put("assessments", row)
        for st in r.get("standards") or []:
            self._put("standards", {
                "assessment_id": aid, "standard": st["id"], "title": st.get("title"), "domain": st.get("domain"),
                "category": st.get("category"), "status": st["status"], "reason": st.get("reason"),
                "required": st.get("required"), "reported": json.dumps(st.get("reported") or {}, ensure_ascii=False),
                "flags": json.dumps(st.get("flags") or []),
                "gating": None if st.get("gating") is None else int(bool(st.get("gating"))),
                "advisory_reason": st.get("advisory_reason"), "confidence": st.get("confidence")})
        for x in o.get("conditions") or []:
            self._put("conditions", {"assessment_id": aid, **_pick(x, "standard", "title", "category", "kind",
                                                                   "action", "owner", "due")})
        for x in o.get("recommendations") or []:
            self._put("recommendations", {"assessment_id": aid, **_pick(x, "standard", "title", "status", "required",
                                                                        "kind", "action", "owner", "due")})
        for x in o.get("advisory") or []:
            self._put("advisory", {"assessment_id": aid, **_pick(x, "standard", "title", "category", "status",
                                                                 "why", "kind", "due")})
        for x in r.get("derogations") or []:
            self._put("derogations", {"assessment_id": aid, **_pick(x, "standard", "reason", "approver",
                                                                    "approved_on", "expires_on", "status", "note")})
        for pos, x in enumerate(o.get("to_change_outcome") or []):
            self._put("to_change", {"assessment_id": aid, "position": pos, "standard": x.get("id"),
                                    "title": x.get("title"), "required": x.get("required"),
                                    "target": o.get("to_change_target")})
        months = _evidence_age(r["spec"]["id"], spec_ages)
        evidence: dict[tuple, list[str]] = {}
        for st in r.get("standards") or []:
            for e in st.get("evidence") or []:
                k = (e.get("title"), e.get("reference"), e.get("date"), e.get("owner"))
                evidence.setdefault(k, [])
                if st["id"] not in evidence[k]:
                    evidence[k].append(st["id"])
        for (title, ref, dated, owner), ids in evidence.items():
            self._put("evidence", {"assessment_id": aid, "standards": ", ".join(ids), "title": title,
                                   "reference": ref, "dated": dated, "owner": owner,
                                   "stale_on": _stale_on(dated, months)})
        return aid

    def _put(self, table: str, row: dict[str, Any]) -> int:
        cols = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        return int(self.conn.execute(f"INSERT INTO {table} ({cols}) VALUES ({marks})",  # noqa: S608 (fixed names)
                                     tuple(row.values())).lastrowid)  # type: ignore[arg-type]

    # -- reading ------------------------------------------------------------------------------

    def query(self, sql: str, params: tuple = ()) -> list[dict[str, Any]]:
        cur = self.conn.execute(sql, params)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]

    def version(self) -> int:
        return _version(self.conn)


def _pick(d: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: d.get(k) for k in keys}


def _evidence_age(spec_id: str, cache: dict[str, int]) -> int:
    """The spec's evidence age limit in months (12 if the spec cannot be loaded)."""
    if spec_id not in cache:
        from .. import spec as spec_mod

        try:
            cache[spec_id] = int(spec_mod.load(spec_id).policy.evidence_max_age_months)
        except (InputError, AttributeError, TypeError, ValueError):
            cache[spec_id] = 12
    return cache[spec_id]


def _stale_on(dated: Optional[str], months: int) -> Optional[str]:
    from ..engine import _add_months

    try:
        return _add_months(dt.date.fromisoformat(str(dated)), months).isoformat() if dated else None
    except ValueError:
        return None


class _Transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT``; on any error (or a kill) nothing of it is kept."""

    def __init__(self, reg: Register):
        self.reg = reg

    def __enter__(self) -> None:
        try:
            self.reg.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise _explain(self.reg.path, exc) from None

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            try:
                self.reg.conn.execute("COMMIT")
                return
            except sqlite3.Error as e:
                self.reg.conn.execute("ROLLBACK")
                raise _explain(self.reg.path, e) from None
        try:
            self.reg.conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass
        if isinstance(exc, sqlite3.Error):
            raise _explain(self.reg.path, exc) from None


def _explain(path: str, exc: sqlite3.Error) -> InputError:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return InputError.at(path, f"the register is locked by another batch or program; waited {LOCK_WAIT_SECONDS:g}s, "
                                   "try again when it has finished")
    if "readonly" in text or "read-only" in text:
        return InputError.at(path, "the register is read-only; cannot record this run")
    if "not a database" in text or "malformed" in text or "encrypted" in text:
        return InputError.at(path, "is not a designation register (not an SQLite database, or damaged)")
    return InputError.at(path, f"register error: {text}")


def _version(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def open_register(path: str | Path, *, create: bool = True, readonly: bool = False) -> Register:
    """Open (with ``create``, make and migrate) a register; every problem is one clear InputError:
    not SQLite, not a register, from a newer designation, read-only, or locked."""
    p = Path(path)
    name = str(p)
    if str(path) != ":memory:":
        if p.is_dir():
            raise InputError.at(name, "is a folder, not a register file")
        if not p.exists():
            if readonly or not create:
                raise InputError.at(name, "no such register (a batch writes one to its output folder)")
            if not p.parent.is_dir():
                raise InputError.at(name, f"folder {p.parent} does not exist")
        elif not readonly and not os.access(p, os.W_OK):
            raise InputError.at(name, "the register is read-only; cannot record to it")
        if p.exists() and p.stat().st_size and _header(p) != b"SQLite format 3\0":
            raise InputError.at(name, "is not a designation register (not an SQLite database)")
    try:
        if readonly:
            conn = sqlite3.connect(f"{p.resolve().as_uri()}?mode=ro", uri=True, timeout=LOCK_WAIT_SECONDS,
                                   isolation_level=None)
        else:
            conn = sqlite3.connect(name, timeout=LOCK_WAIT_SECONDS, isolation_level=None)
        conn.execute("PRAGMA foreign_keys = ON")
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.Error as exc:
        raise _explain(name, exc) from None
    reg = Register(conn, name, readonly)
    if tables and "schema_version" not in tables:
        conn.close()
        raise InputError.at(name, "is an SQLite database but not a designation register (no schema_version table)")
    current = _version(conn) if tables else 0
    if current > SCHEMA_VERSION:
        conn.close()
        raise InputError.at(name, f"was written by a newer designation (register schema version {current}; this one "
                                  f"reads up to {SCHEMA_VERSION}); upgrade designation to use it")
    if current < SCHEMA_VERSION:
        if readonly:
            conn.close()
            raise InputError.at(name, f"register schema version {current} is older than {SCHEMA_VERSION}; "
                                      "record a run to it once to migrate it")
        _migrate(reg, current)
    return reg


def _header(p: Path) -> bytes:
    with open(p, "rb") as fh:
        return fh.read(16)


def _migrate(reg: Register, current: int) -> None:
    with reg._write():
        c = reg.conn
        c.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL, "
                  "description TEXT NOT NULL, engine_version TEXT NOT NULL)")
        if _version(c) != current:   # another process migrated it meanwhile
            return
        for version, description, statements in MIGRATIONS:
            if version <= current:
                continue
            for sql in statements:
                c.execute(sql)
            c.execute("INSERT INTO schema_version (version, applied_at, description, engine_version) "
                      "VALUES (?, ?, ?, ?)", (version, _now(), description, __version__))


def default_path(outdir: str | Path) -> Path:
    return Path(outdir) / FILENAME


def problems_text(problems: Iterable[Problem]) -> list[str]:
    return [str(p) for p in problems]


def datasette_metadata(path: str | Path) -> dict[str, Any]:
    """Datasette metadata for a register: title and canned queries (sites by outcome, conditions
    overdue, everything due, sites closest to a change, stale sites), keyed by the file's name
    as Datasette names the database."""
    meta = json.loads((Path(__file__).parent / "datasette.json").read_text("utf-8"))
    meta["databases"] = {Path(path).stem: meta["databases"]["register"]}
    return meta
