"""docs/cli.md is generated from the commands' own --help, so the two cannot drift apart.

Regenerate with ``python -m designation.clidocs > docs/cli.md``; a test fails when it is stale.
"""
from __future__ import annotations

import click
from click.testing import CliRunner


def _commands(group: click.Group, prefix: list[str]) -> list[list[str]]:
    out = []
    for name in sorted(group.commands):
        cmd = group.commands[name]
        out.append(prefix + [name])
        if isinstance(cmd, click.Group):
            out += _commands(cmd, prefix + [name])
    return out


def render() -> str:
    from .cli import main

    runner = CliRunner()
    parts = ["# Command-line reference", "",
             "Generated from `designation --help` by `python -m designation.clidocs`; do not edit by hand.", ""]
    for path in [[]] + _commands(main, []):
        res = runner.invoke(main, path + ["--help"], terminal_width=100, prog_name="designation")
        title = " ".join(["designation"] + path)
        parts += [f"## {title}", "", "```", res.output.rstrip(), "```", ""]
    return "\n".join(parts)


if __name__ == "__main__":
    print(render(), end="")
