"""Docs kept in step with the code: the CLI reference is the commands' own --help."""
from __future__ import annotations

from designation import clidocs

from .conftest import ROOT


def test_cli_reference_is_up_to_date():
    current = (ROOT / "docs" / "cli.md").read_text()
    assert current == clidocs.render(), "docs/cli.md is stale: run python -m designation.clidocs > docs/cli.md"


def test_readme_quick_start_is_two_commands_that_name_a_shipped_example():
    readme = (ROOT / "README.md").read_text()
    block = readme.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0].strip().splitlines()
    assert len(block) == 2
    render, test = block
    assert "designation report submissions/" in render
    example = render.split("designation report ", 1)[1].split()[0]
    assert (ROOT / example).is_file()
    ci = (ROOT / ".ci" / "run").read_text()
    assert test in ci, "CI must run the README's test command"


def test_readme_documents_every_command():
    readme = (ROOT / "README.md").read_text()
    for cmd in ("specs", "specs check", "template", "validate", "assess", "report", "batch", "diff", "verify",
                "derogations check"):
        assert f"designation {cmd}" in readme, cmd
