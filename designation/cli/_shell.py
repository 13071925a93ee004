"""The ``designation`` command group and what its commands share: a thin shell over :mod:`designation.api`.

Exit codes: 0 success; 1 invalid input (each problem printed as ``file:line:col: message``);
2 usage errors (click's convention); 3 an outcome at or below ``assess --fail-on``; 4 an
internal error (a bug: reported in one line, with DESIGNATION_DEBUG=1 for the traceback).
WeasyPrint is imported only by the commands that render.
"""
from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path
from typing import Any, Iterable, Optional

import click

from .. import __version__
from ..errors import InputError, Problem

EXIT_INVALID = 1
EXIT_OUTCOME = 3
EXIT_BUG = 4


def err(msg: str) -> None:
    click.echo(msg, err=True)


def report_problems(problems: Iterable[Problem]) -> None:
    for p in problems:
        err(str(p))


class _Main(click.Group):
    """Turns errors escaping a command into one clear line and an exit code, never a traceback:
    bad input 1 (located), a report that cannot be rendered 1, anything else 4 (a bug)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except InputError as exc:
            report_problems(exc.problems)
            ctx.exit(EXIT_INVALID)
        except OSError as exc:  # a full disk, an unwritable folder: the user's to fix, not a bug
            err(f"{exc.filename or 'designation'}: {exc.strerror or exc}")
            ctx.exit(EXIT_INVALID)
        except (click.exceptions.Exit, click.ClickException, click.Abort, KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:
            from ..report.pdf import RenderError

            if isinstance(exc, RenderError):
                err(f"designation: cannot render the report: {exc}; nothing was written")
                ctx.exit(EXIT_INVALID)
            if os.environ.get("DESIGNATION_DEBUG"):
                raise
            err(f"designation: internal error: {type(exc).__name__}: {exc}\n"
                 "This is a bug; please report it with the input. Set DESIGNATION_DEBUG=1 for the traceback.")
            ctx.exit(EXIT_BUG)


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="designation")
def main() -> None:
    """Designate NHS urgent and emergency care facilities against published standards.

    Specifications are YAML rule files; providers write self-assessments (YAML); this tool
    scores them standard by standard, decides the designation outcome and explains it.
    """



def expand_paths(files: tuple[str, ...]) -> list[Path]:
    out = []
    for f in files:
        p = Path(f)
        out += sorted(x for x in p.glob("*.yaml") if x.is_file()) if p.is_dir() else [p]
    return out



def overlay_options(f: Any) -> Any:
    f = click.option("--tailoring", type=click.Path(), help="Network parameter values (default: tailoring.yaml beside the submission).")(f)
    f = click.option("--derogations", type=click.Path(), help="Network derogations (default: derogations.yaml beside the submission).")(f)
    f = click.option("--review", type=click.Path(), help="The network's verification of this submission.")(f)
    return f



def make_console() -> Any:
    from rich.console import Console

    return Console(width=None if sys.stdout.isatty() else 110, soft_wrap=False, highlight=False)



def parse_created(created: Optional[str]) -> Optional[dt.datetime]:
    if not created:
        return None
    try:
        when = dt.datetime.fromisoformat(created)
    except ValueError:
        raise click.BadParameter(f"{created!r} is not an ISO 8601 date or date-time", param_hint="--created") from None
    return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)



def parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a date such as 2026-10-01") from None

