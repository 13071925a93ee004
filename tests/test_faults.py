"""Fault tolerance: a full disk, an unwritable output folder, a spec that disappears mid-run,
and the promise that no command ever modifies an input.

Faults are simulated (no disk is really filled; CI runs as root, where chmod does not stop a
write, so permission errors are also injected). Every fault must end in a clear one-line error
and exit 1, never a traceback, a half-written output, a leftover temporary file or a damaged
previous output. (A killed batch worker and an interrupted batch are in test_network.py.)
"""
from __future__ import annotations

import errno
import hashlib
import io
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from designation import api, atomic
from designation.network import batch
from designation import spec as spec_mod
from designation.cli import main
from designation.errors import InputError

from .conftest import FIXTURES, ROOT, submission, write_yaml

SUBMISSIONS = ROOT / "submissions"
NO_SPACE = os.strerror(errno.ENOSPC)   # "No space left on device"


def run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


def clean_exit_1(res: Any) -> None:
    assert res.exit_code == 1, res.output
    assert "Traceback" not in res.output and "internal error" not in res.output, res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# ---------------------------------------------------------------------------------------------
# A full disk


class _FillingFile(io.FileIO):
    """A file on a disk that fills up after a few bytes: the first write lands in part."""

    def write(self, data: Any) -> int:
        super().write(bytes(data[:10]))
        raise OSError(errno.ENOSPC, NO_SPACE)


@pytest.fixture(params=["write", "fsync"])
def full_disk(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Writes of output files fail with ENOSPC, either at the write or at the fsync (where a
    full disk often shows with delayed allocation). Reading is unaffected."""
    if request.param == "write":
        def filling_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
            if "w" in mode or "a" in mode:
                return io.BufferedWriter(_FillingFile(file, "w"))
            return open(file, mode, *args, **kwargs)

        monkeypatch.setattr(atomic, "open", filling_open, raising=False)
    else:
        def no_space(fd: int) -> None:
            raise OSError(errno.ENOSPC, NO_SPACE)

        monkeypatch.setattr(os, "fsync", no_space)
    return request.param


def test_full_disk_template_output_fails_cleanly_and_keeps_the_previous_file(full_disk: str, tmp_path: Path) -> None:
    out = tmp_path / "skeleton.yaml"
    out.write_text("previous skeleton\n")
    res = run("template", "uec-ec", "-o", str(out))
    clean_exit_1(res)
    assert NO_SPACE in res.output and str(out) in res.output
    assert out.read_text() == "previous skeleton\n", "the previous output was damaged"
    assert listing(tmp_path) == ["skeleton.yaml"], "a temporary file was left behind"


def test_full_disk_new_output_is_not_created_half_written(full_disk: str, tmp_path: Path) -> None:
    out = tmp_path / "new.yaml"
    clean_exit_1(run("template", "uec-ec", "-o", str(out)))
    assert listing(tmp_path) == []


def test_full_disk_atomic_write_raises_input_error_and_cleans_up(full_disk: str, tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    out.write_text("{}")
    with pytest.raises(InputError, match=f"{out}: cannot write output: {NO_SPACE}"):
        atomic.write_text(out, "x" * 100_000)
    with pytest.raises(InputError, match=NO_SPACE):
        atomic.write_bytes(out, b"y" * 100_000)
    assert out.read_text() == "{}"
    assert listing(tmp_path) == ["result.json"]


def test_full_disk_does_not_affect_commands_that_only_read(full_disk: str) -> None:
    site = SUBMISSIONS / "ec-northfield-conditions.yaml"
    assert run("validate", str(site)).exit_code == 0
    res = run("assess", str(site), "--format", "json")
    assert res.exit_code == 0, res.output
    assert '"designated_with_conditions"' in res.output
    assert run("template", "uec-ec").exit_code == 0   # to stdout


def test_full_disk_batch_reports_every_site_and_leaves_no_partial_output(full_disk: str, tmp_path: Path) -> None:
    folder, out = tmp_path / "round", tmp_path / "out"
    shutil.copytree(SUBMISSIONS, folder)
    res = run("batch", str(folder), "-o", str(out), "--no-pdf", "--jobs", "1")
    clean_exit_1(res)
    assert NO_SPACE in res.output
    assert not [p for p in out.iterdir() if p.suffix in (".json", ".csv", ".part", ".key")], listing(out)


# ---------------------------------------------------------------------------------------------
# An unwritable output folder


def test_unwritable_output_folder_really_chmodded(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        try:
            (locked / "probe").write_text("x")
        except PermissionError:
            pass
        else:
            pytest.skip("running as root: chmod does not stop writes (the simulated test covers this)")
        res = run("template", "uec-ec", "-o", str(locked / "skeleton.yaml"))
        clean_exit_1(res)
        assert "Permission denied" in res.output and str(locked / "skeleton.yaml") in res.output
        assert listing(locked) == []
    finally:
        locked.chmod(0o700)


@pytest.fixture
def unwritable(monkeypatch: pytest.MonkeyPatch) -> None:
    """Creating the temporary output file is refused, as in a folder without write permission."""
    def refused(*args: Any, dir: Any = None, **kwargs: Any) -> Any:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(dir))

    monkeypatch.setattr(tempfile, "mkstemp", refused)


def test_unwritable_output_folder_simulated(unwritable: None, tmp_path: Path) -> None:
    out = tmp_path / "skeleton.yaml"
    out.write_text("previous\n")
    res = run("template", "uec-ec", "-o", str(out))
    clean_exit_1(res)
    assert "Permission denied" in res.output and str(out) in res.output
    assert out.read_text() == "previous\n"
    with pytest.raises(InputError, match="cannot write output: Permission denied"):
        atomic.write_text(tmp_path / "new.json", "{}")
    assert listing(tmp_path) == ["skeleton.yaml"]


def test_missing_output_folder_is_a_clear_error(tmp_path: Path) -> None:
    out = tmp_path / "no" / "such" / "skeleton.yaml"
    res = run("template", "uec-ec", "-o", str(out))
    clean_exit_1(res)
    assert "does not exist" in res.output and str(out) in res.output
    assert listing(tmp_path) == []


@pytest.mark.parametrize("err", [errno.EXDEV, errno.EACCES, errno.EISDIR])
def test_a_failed_rename_leaves_the_target_and_no_temporary_file(err: int, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "summary.csv"
    out.write_text("old\n")

    def failing_replace(src: Any, dst: Any) -> None:
        raise OSError(err, os.strerror(err))

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(InputError, match=f"{out}: cannot write output: {os.strerror(err)}"):
        atomic.write_text(out, "new\n")
    assert out.read_text() == "old\n"
    assert listing(tmp_path) == ["summary.csv"]


def test_an_interrupted_write_leaves_the_target_and_no_temporary_file(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "site.json"
    out.write_text("old")

    def interrupted(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        atomic.write_text(out, "new")
    assert out.read_text() == "old" and listing(tmp_path) == ["site.json"]


# ---------------------------------------------------------------------------------------------
# A spec that disappears mid-run


def _clear_spec_caches() -> None:
    spec_mod._load_cached.cache_clear()
    spec_mod._available.cache_clear()


@pytest.fixture
def own_specs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A private copy of the fixture ladder (mini-base, mini-top), found only through
    DESIGNATION_SPECS, so that deleting a file really removes the spec."""
    folder = tmp_path / "specs"
    shutil.copytree(FIXTURES / "specs", folder)
    monkeypatch.setenv("DESIGNATION_SPECS", str(folder))
    _clear_spec_caches()
    yield folder
    _clear_spec_caches()


def test_a_spec_removed_between_two_assessments_is_a_clear_input_error(own_specs: Path, tmp_path: Path) -> None:
    site = write_yaml(tmp_path / "site.yaml", submission())
    assert api.assess_path(site).status == "designated"
    (own_specs / "mini-top.yaml").unlink()
    _clear_spec_caches()
    with pytest.raises(InputError) as exc:
        api.assess_path(site)
    (p,) = exc.value.problems
    assert p.file == str(site) and p.line == 2 and "unknown spec 'mini-top'" in p.message
    res = run("assess", str(site))
    clean_exit_1(res)
    assert f"{site}:2:7: unknown spec 'mini-top'" in res.output


def test_an_included_spec_removed_mid_run_is_a_clear_input_error(own_specs: Path, tmp_path: Path) -> None:
    site = write_yaml(tmp_path / "site.yaml", submission())
    api.assess_path(site)
    (own_specs / "mini-base.yaml").unlink()
    _clear_spec_caches()
    with pytest.raises(InputError, match=r"site.yaml:2:7: included spec 'mini-base' not found"):
        api.assess_path(site)


def test_a_spec_file_vanishing_after_it_was_listed_is_a_clear_input_error(own_specs: Path) -> None:
    """The race between listing the spec folder and opening the file."""
    path = spec_mod.available()["mini-top"]
    path.unlink()
    with pytest.raises(InputError, match="no such spec file"):
        spec_mod.load_path(path)


def _round(tmp_path: Path, n: int = 3) -> Path:
    folder = tmp_path / "round"
    folder.mkdir()
    for i in range(n):
        write_yaml(folder / f"site-{i}.yaml", submission(site={"name": f"Site {i}", "code": f"TST0{i}"}))
    return folder


def test_batch_whose_spec_disappears_mid_run_reports_the_remaining_sites_invalid(own_specs: Path,
                                                                                tmp_path: Path) -> None:
    folder, out = _round(tmp_path), tmp_path / "out"
    seen: list[str] = []

    def progress(site: batch.SiteOutcome) -> None:
        seen.append(site.state)
        if len(seen) == 1:   # after the first site: the spec is deleted under the running batch
            (own_specs / "mini-top.yaml").unlink()
            _clear_spec_caches()

    result = batch.run(folder, out, jobs=1, render=False, progress=progress)
    states = {Path(s.file).name: s.state for s in result.sites}
    assert states == {"site-0.yaml": "rendered", "site-1.yaml": "invalid", "site-2.yaml": "invalid"}
    for s in result.sites[1:]:
        assert s.problems and all("unknown spec 'mini-top'" in p.message and p.file == s.file
                                  for p in s.problems), s.problems
    assert (out / "site-0.json").is_file() and not (out / "site-1.json").exists()
    assert not list(out.glob(".*.part"))


def test_batch_over_a_folder_whose_spec_is_gone_reports_every_site(own_specs: Path, tmp_path: Path) -> None:
    folder, out = _round(tmp_path), tmp_path / "out"
    (own_specs / "mini-top.yaml").unlink()
    _clear_spec_caches()
    result = batch.run(folder, out, jobs=1, render=False)
    assert [s.state for s in result.sites] == ["invalid"] * 3
    assert all("unknown spec 'mini-top'" in s.problems[0].message for s in result.sites)
    res = run("batch", str(folder), "-o", str(out), "--no-pdf", "--jobs", "1")
    clean_exit_1(res)
    for i in range(3):
        assert f"site-{i}.yaml:2:7: unknown spec 'mini-top'" in res.output


# ---------------------------------------------------------------------------------------------
# No input file is ever modified


def _snapshot(*folders: Path) -> dict[str, tuple[str, int, int]]:
    out = {}
    for folder in folders:
        for p in sorted(folder.rglob("*")):
            if p.is_file():
                st = p.stat()
                out[str(p)] = (hashlib.sha256(p.read_bytes()).hexdigest(), st.st_mtime_ns, st.st_mode)
    return out


def test_no_command_modifies_an_input_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    specs, folder, out = tmp_path / "specs", tmp_path / "round", tmp_path / "out"
    shutil.copytree(ROOT / "specs", specs)
    shutil.copytree(SUBMISSIONS, folder)
    monkeypatch.setenv("DESIGNATION_SPECS", str(specs))   # the copies are found first
    (folder / "reviews").mkdir()
    review = folder / "reviews" / "ec-northfield-conditions.yaml"
    review.write_text(yaml.safe_dump({"format": 1, "site": "ZZN01", "reviewer": {"name": "R", "role": "Reviewer"},
                                      "reviewed_on": "2026-07-01",
                                      "verified": {"ed_consultant_hours_weekend": {"value": 10, "reason": "Rota"}}}))
    (folder / "tailoring.yaml").write_text("parameters:\n  uec-ucc: {}\n")
    out.mkdir()
    before = _snapshot(specs, folder)
    subs = sorted(str(p) for p in folder.glob("*.yaml") if not api.is_settings_file(p))

    assert run("validate", str(folder)).exit_code == 0
    for f in subs:
        assert run("validate", f).exit_code == 0
    res = run("assess", *subs, "--format", "json")
    assert res.exit_code == 0, res.output
    assert run("assess", str(folder), "--format", "csv").exit_code == 0
    assert run("assess", str(folder / review.name), "--review", str(review)).exit_code == 0
    for spec_id in ("uec-ec", "uec-ucc", "hbpos", "asthma-cyp"):
        assert run("template", spec_id, "-o", str(out / f"{spec_id}.yaml")).exit_code == 0
    assert run("specs", "check").exit_code == 0
    assert run("derogations", "check", str(folder / "derogations.yaml"), "--submissions", str(folder)
               ).exit_code in (0, 1)   # 1: the example file has an expired derogation, on purpose
    assert run("batch", str(folder), "-o", str(out / "batch"), "--no-pdf", "--jobs", "1").exit_code == 0

    after = _snapshot(specs, folder)
    assert sorted(after) == sorted(before), "a file appeared in or vanished from an input folder"
    changed = [f for f in before if before[f] != after[f]]
    assert changed == [], f"inputs modified: {changed}"


def test_shipped_round_whose_included_spec_vanishes_mid_batch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real specs, copied and found only there: the London Quality Standards (included by
    the EC and ECSS specs) disappear after the first site. The EC and ECSS sites are reported
    invalid, naming the missing spec; every other site is still assessed."""
    specs, folder, out = tmp_path / "specs", tmp_path / "round", tmp_path / "out"
    shutil.copytree(ROOT / "specs", specs)
    shutil.copytree(SUBMISSIONS, folder)
    monkeypatch.setenv("DESIGNATION_SPECS", str(specs))
    monkeypatch.setattr(spec_mod, "_BUNDLED", [])   # so that the checkout's specs/ cannot stand in
    _clear_spec_caches()
    done: list[str] = []

    def progress(site: batch.SiteOutcome) -> None:
        done.append(site.file)
        if len(done) == 1:
            (specs / "london-quality-standards.yaml").unlink()
            _clear_spec_caches()

    try:
        result = batch.run(folder, out, jobs=1, render=False, progress=progress)
    finally:
        _clear_spec_caches()
    states = {Path(s.file).name: s for s in result.sites}
    uses_lqs = {n for n in states if n.startswith(("ec-", "ecss-"))}
    assert len(uses_lqs) == 4
    for name, s in states.items():
        if name in uses_lqs:
            assert s.state == "invalid", name
            assert "included spec 'london-quality-standards' not found" in s.problems[0].message, s.problems
        else:
            assert s.state == "rendered", (name, s.problems)
    assert sorted(p.name for p in out.glob("*.json") if p.name != "manifest.json") == sorted(n.replace(".yaml", ".json")
                                                                for n in states if n not in uses_lqs)
