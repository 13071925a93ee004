"""Docs kept in step with the code: the CLI reference is the commands' own --help."""
from __future__ import annotations

import importlib
import re
from typing import Any

from designation import clidocs

from .conftest import ROOT


def test_cli_reference_is_up_to_date():
    current = (ROOT / "docs" / "cli.md").read_text()
    assert current == clidocs.render(), "docs/cli.md is stale: run python -m designation.clidocs > docs/cli.md"


def test_readme_quick_start_is_a_venv_and_two_commands_that_name_a_shipped_example():
    readme = (ROOT / "README.md").read_text()
    block = readme.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0].strip().splitlines()
    assert len(block) == 3
    venv, render, test = block
    assert "-m venv" in venv and "activate" in venv
    assert "designation report submissions/" in render
    example = render.split("designation report ", 1)[1].split()[0]
    assert (ROOT / example).is_file()
    ci = (ROOT / ".ci" / "run").read_text()
    assert test in ci, "CI must run the README's test command"
    assert render.split(" -o ")[0] in ci, "CI must run the README's render command"
    assert "-m venv" in ci, "CI must prove the install in a virtual environment of its own"


def test_readme_names_the_system_libraries_for_every_os_and_what_works_without_them():
    readme = (ROOT / "README.md").read_text()
    for system in ("Debian", "Fedora", "Homebrew", "Windows"):
        assert system in readme, system
    section = readme.split("### System libraries", 1)[1].split("\n## ", 1)[0]
    for cmd in ("validate", "assess", "template"):
        assert f"designation {cmd}" in section or f"`{cmd}`" in section, cmd


def test_readme_documents_every_command():
    readme = (ROOT / "README.md").read_text()
    for cmd in ("specs", "specs check", "template", "validate", "assess", "report", "batch", "diff", "verify",
                "derogations check"):
        assert f"designation {cmd}" in readme, cmd


# -- the README's limits table and the bounds in the code ------------------------------------------

# A module-level constant whose name says it bounds something (size, time, depth, count).
_BOUND = re.compile(r"(MAX_\w+|MIN_\w+|\w+_MAX|\w+_SHOWN|\w+_SECONDS|\w+_MB|RECYCLE_AFTER|\w+_GRACE_DAYS|YEARS)\Z")
_ASSIGN = re.compile(r"^([A-Z][A-Z0-9_]*)(?:\s*,\s*([A-Z][A-Z0-9_]*))?\s*(?::[^=\n]*)?=[^=]", re.M)


def _bound_constants() -> list[tuple[str, str, Any]]:
    """(module stem, name, value) of every bound constant in the package."""
    found = []
    for path in sorted((ROOT / "designation").rglob("*.py")):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for m in _ASSIGN.finditer(path.read_text()):
            for name in filter(None, m.groups()):
                if _BOUND.match(name):
                    found.append((path.stem, name, getattr(importlib.import_module(module), name)))
    return found


def _limits_rows() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Limits the tool enforces", 1)[1].split("\n## ", 1)[0]
    return [line for line in section.splitlines() if line.startswith("| ") and not line.startswith("| limit |")]


def _renderings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [r for v in value.values() for r in _renderings(v)]
    if isinstance(value, (tuple, list)):
        return [r for v in value for r in _renderings(v)]
    out = [f"{value:,}", f"{value:g}"]
    if isinstance(value, int) and value >= 2 ** 20 and value % 2 ** 20 == 0:
        out.append(f"{value // 2 ** 20} MB")
    if isinstance(value, int) and value >= 10 ** 6 and re.fullmatch(r"10*", str(value)):
        out.append(f"10^{len(str(value)) - 1}")
    return out


def test_the_code_has_the_bounds_this_test_looks_for() -> None:
    names = {f"{m}.{n}" for m, n, _ in _bound_constants()}
    assert {"yamlsafe.MAX_BYTES", "workbook_read.MAX_ROWS", "verify.MAX_PDF_BYTES", "textsafe.SHOWN_MAX",
            "register.LOCK_WAIT_SECONDS", "submission.MAX_YEAR"} <= names, names


def test_every_bound_in_the_code_is_in_the_readme_limits_table_with_its_value() -> None:
    rows = _limits_rows()
    missing, wrong = [], []
    for module, name, value in _bound_constants():
        row = next((r for r in rows if f"`{module}.{name}`" in r), None)
        if row is None:
            missing.append(f"{module}.{name}")
            continue
        cells = row.split(" | ")
        shown = " | ".join(cells[1:3])   # the value and what the user sees
        if not all(any(r in shown for r in _renderings(v)) for v in (value.values() if isinstance(value, dict) else
                                                                     value if isinstance(value, tuple) else [value])):
            wrong.append(f"{module}.{name} = {value!r}")
    assert not missing, f"bounds not in the README's limits table (add a row or name them in one): {missing}"
    assert not wrong, f"the README's limits table gives another value for: {wrong}"


def test_every_constant_the_limits_table_names_exists() -> None:
    known = {f"{m}.{n}" for m, n, _ in _bound_constants()}
    for row in _limits_rows():
        for named in re.findall(r"`(\w+\.[A-Z][A-Z0-9_]+)`", row.rsplit(" | ", 1)[-1]):
            assert named in known, f"the limits table names {named}, which the code no longer has"
