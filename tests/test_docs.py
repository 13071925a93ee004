"""Docs kept in step with the code: the CLI reference is the commands' own --help."""
from __future__ import annotations

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
