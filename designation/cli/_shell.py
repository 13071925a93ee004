"""The ``designation`` command group and what its commands share: a thin shell over :mod:`designation.api`.

Exit codes: 0 success; 1 invalid input (each problem printed as ``file:line:col: message``);
2 usage errors (click's convention); 3 an outcome at or below ``assess --fail-on``; 4 an
internal error (a bug: reported in one line, with DESIGNATION_DEBUG=1 for the traceback).
WeasyPrint is imported only by the commands that render.
"""
from __future__ import annotations

import codecs
import datetime as dt
import io
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Iterable, Iterator, Optional

import click

from .. import __version__, jsonout
from ..errors import InputError, Problem

# pydantic loads the pydantic plugins of every installed package (scanning all their metadata)
# when the first model is built. The command line wants none: the scan costs every run, and a
# plugin would see every (hostile) submission validated. Set only for the command line, never for
# a library caller's process, and never over a user's own setting.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

EXIT_INVALID = 1
EXIT_OUTCOME = 3
EXIT_BUG = 4


def err(msg: str) -> None:
    """One message to standard error, neutralised for the terminal (no escapes, bells or
    hyperlinks from the data; a value of megabytes is cut, not echoed whole)."""
    from ..textsafe import terminal

    click.echo(terminal(msg), err=True)


def report_problems(problems: Iterable[Problem]) -> None:
    for p in problems:
        err(str(p))


# Output never crashes on a console or file that cannot encode a symbol (a Windows console, a
# file redirected under cp1252): each such character is written as its plain equivalent, or ?.
_PLAIN = {"✓": "+", "✗": "x", "◐": "~", "–": "-", "—": "--", "•": "*", "▲": "^", "▼": "v", "→": "->",
          "≥": ">=", "≤": "<=", "…": "...", "‘": "'", "’": "'", "“": '"', "”": '"', "×": "x", "±": "+/-",
          "━": "-", "─": "-", "│": "|", "·": "."}


def _plain(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    bad = exc.object[exc.start:exc.end]
    return "".join(_PLAIN.get(c, "?") for c in bad), exc.end


codecs.register_error("designation-plain", _plain)


def _json_escape(exc: UnicodeError) -> tuple[str, int]:
    """JSON's own escape for a character the stream cannot encode: the text stays valid JSON
    (non-ASCII only ever appears inside strings) and nothing is lost."""
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    out = []
    for c in exc.object[exc.start:exc.end]:
        b = c.encode("utf-16-be", "surrogatepass")
        out += [f"\\u{int.from_bytes(b[i:i + 2], 'big'):04x}" for i in range(0, len(b), 2)]
    return "".join(out), exc.end


codecs.register_error("designation-json", _json_escape)


def _can_encode_everything(stream: Any) -> bool:
    try:
        "\u0175\u2713\U0001f600".encode(getattr(stream, "encoding", None) or "utf-8")
        return True
    except (UnicodeError, LookupError):
        return False


@contextmanager
def _lossless_stdout() -> Iterator[IO[str]]:
    """Standard output for the command's --format. Machine formats never lose a character to a
    console encoding (cp1252): JSON escapes it (\\uXXXX), CSV is written as UTF-8 bytes. Text
    keeps the plain-symbol fallback."""
    ctx = click.get_current_context(silent=True)
    fmt = ctx.params.get("fmt") if ctx is not None else None
    out = sys.stdout
    if fmt not in ("json", "jsonl", "csv") or _can_encode_everything(out):
        yield out
        return
    if fmt in ("json", "jsonl") and hasattr(out, "reconfigure"):
        out.reconfigure(errors="designation-json")
        try:
            yield out
        finally:
            out.reconfigure(errors="designation-plain")
        return
    buffer = getattr(out, "buffer", None)
    if buffer is None:   # pragma: no cover - a stream with no bytes underneath
        yield out
        return
    out.flush()
    utf8 = io.TextIOWrapper(buffer, encoding="utf-8", newline="", write_through=True)
    try:
        yield utf8
    finally:
        utf8.flush()
        utf8.detach()


def _robust_streams() -> None:
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors="designation-plain")
            except (ValueError, OSError):  # pragma: no cover - a stream that cannot change
                pass


def _silence_stdout() -> None:
    """After the reader of a pipe has gone (``| head``), point stdout at the null device so the
    interpreter's final flush cannot complain; the command then ends quietly."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        pass


class _ClosedStream(io.TextIOBase):
    """Standard output when the process was started without one: writing to it is a clear
    error (exit 1), not an AttributeError on None."""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        import errno

        raise OSError(errno.EBADF, "standard output is closed; redirect it to a file (> FILE) to keep the output")

    def isatty(self) -> bool:
        return False


class _Main(click.Group):
    """Turns errors escaping a command into one clear line and an exit code, never a traceback:
    bad input 1 (located), a report that cannot be rendered 1, anything else 4 (a bug). A
    closed pipe ends the command quietly with exit 0."""

    def invoke(self, ctx: click.Context) -> Any:
        if sys.stdout is None:   # started with standard output closed (>&-)
            sys.stdout = _ClosedStream()  # type: ignore[assignment]
        _robust_streams()
        try:
            try:
                return self._invoke(ctx)
            finally:
                sys.stdout.flush()   # a closed pipe shows here, not in the interpreter's exit
        except BrokenPipeError:
            _silence_stdout()
            ctx.exit(0)

    def _invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            raise
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
@click.option("--color/--no-color", default=None,
              help="Colour the output even when it is not a terminal, or never. Default: on a terminal, "
                   "unless NO_COLOR is set.")
@click.pass_context
def main(ctx: click.Context, color: Optional[bool]) -> None:
    """Designate NHS urgent and emergency care facilities against published standards.

    Specifications are YAML rule files; providers write self-assessments (YAML); this tool
    scores them standard by standard, decides the designation outcome and explains it.

    \b
    Example:
      designation template uec-ec -o northfield.yaml      # a skeleton to fill in
      designation validate northfield.yaml                 # every problem, with its remedy
      designation assess northfield.yaml                   # the outcome, explained

    \b
    Exit codes: 0 success; 1 invalid input (file:line:col: message); 2 usage error;
    3 an outcome at or below assess --fail-on; 4 an internal error (a bug).
    Shell completion (bash): eval "$(_DESIGNATION_COMPLETE=bash_source designation)"
    """
    ctx.meta["designation.color"] = color



STDIN = Path("-")   # ``-`` among the files: read a submission from standard input


SUBMISSION_SUFFIXES = (".yaml", ".xlsx", ".xlsm")   # YAML, and providers' workbooks


def expand_paths(files: tuple[str, ...]) -> list[Path]:
    out = []
    for f in files:
        p = Path(f)
        out += sorted(x for x in p.iterdir() if x.suffix in SUBMISSION_SUFFIXES and x.is_file()) \
            if f != "-" and p.is_dir() else [p]
    if out.count(STDIN) > 1:
        raise click.UsageError("'-' (standard input) can be given once")
    return out


def require_submissions(files: tuple[str, ...], keep: Any = None) -> None:
    """A folder given on the command line that holds no submissions is an error (exit 1), not
    a silent success: ``keep`` filters what counts as a submission."""
    for f in files:
        if f != "-" and Path(f).is_dir():
            found = [p for p in expand_paths((f,)) if keep is None or keep(p)]
            if not found:
                err(f"no submissions found in {f}")
                sys.exit(EXIT_INVALID)


def read_source(path: Path) -> tuple[str, bytes]:
    """An input as (name, bytes): a file, or standard input for ``-`` (bounded like a file)."""
    from ..inputs import yamlsafe

    if path != STDIN:
        return str(path), yamlsafe.read_bytes(path)
    stream = getattr(sys.stdin, "buffer", None)
    raw = stream.read(yamlsafe.MAX_BYTES + 1) if stream is not None else sys.stdin.read().encode("utf-8")
    if len(raw) > yamlsafe.MAX_BYTES:
        raise InputError.at("<stdin>", f"input is over the size limit of {yamlsafe.MAX_BYTES:,} bytes")
    return "<stdin>", raw


# --------------------------------------------------------------------------------------------
# Conventions every command shares: -o/--output, --format, --quiet


def output_option(f: Any) -> Any:
    return click.option("-o", "--output", type=click.Path(dir_okay=False), metavar="FILE",
                        help="Write to FILE instead of standard output (whole or not at all; never over an input).")(f)


def format_option(*choices: str) -> Any:
    helps = {"text": "readable", "json": "the JSON contract", "jsonl": "one JSON object per line, for scripts",
             "csv": "for spreadsheets"}
    return click.option("--format", "fmt", type=click.Choice(list(choices)), default=choices[0], show_default=True,
                        help="Output: " + "; ".join(f"{c} ({helps[c]})" for c in choices) + ".")


def quiet_option(help: str) -> Any:
    return click.option("-q", "--quiet", is_flag=True, help=help)


def guard_outputs(outputs: dict[str, Optional[Any]], inputs: Iterable[Any] = ()) -> None:
    """The one output-path guard (:func:`designation.atomic.check_outputs`) as a usage error
    (exit 2), called by every command before any work: no output may be an input, a settings
    file, a path written twice, a device, FIFO or read-only file."""
    from ..atomic import check_outputs

    try:
        check_outputs(outputs, inputs=[p for p in inputs if p is not None and p != STDIN])
    except InputError as exc:
        raise click.UsageError("; ".join(f"{p.file}: {p.message}" for p in exc.problems)) from None


def _guard_output(output: str, inputs: Iterable[Path]) -> None:
    guard_outputs({"-o": output}, inputs)


@contextmanager
def open_output(output: Optional[str], inputs: Iterable[Path] = ()) -> Iterator[IO[str]]:
    """Standard output, or ``output`` written atomically: if the command fails (or exits non-zero
    inside the block) nothing is written."""
    if output is None or output == "-":
        with _lossless_stdout() as out:
            yield out
        return
    _guard_output(output, list(inputs))
    from ..atomic import replacing

    with replacing(output) as tmp:
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            yield fh


def dump_json(obj: Any, indent: Optional[int] = 2) -> str:
    """JSON as every command writes it (one place, so the encoder can change in one place)."""
    return jsonout.dumps(obj, indent=bool(indent), default=str)


def problem_json(p: Problem) -> dict[str, Any]:
    return {"file": p.file, "line": p.line, "column": p.column, "message": p.message}



def overlay_options(f: Any) -> Any:
    f = click.option("--tailoring", type=click.Path(), help="Network parameter values and policy figures (default: tailoring.yaml beside the submission).")(f)
    f = click.option("--derogations", type=click.Path(), help="Network derogations (default: derogations.yaml beside the submission).")(f)
    f = click.option("--review", type=click.Path(), help="The network's verification of this submission.")(f)
    return f



def make_console(file: Any = None, *, stderr: bool = False) -> Any:
    """A rich console that honours --color/--no-color and NO_COLOR, and ends quietly on a
    closed pipe. ``file`` writes somewhere other than stdout (an -o file: never coloured)."""
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:   # rich would exit 1; a closed pipe is not an error
            self.quiet = True
            raise BrokenPipeError

    ctx = click.get_current_context(silent=True)
    color = ctx.find_root().meta.get("designation.color") if ctx is not None else None
    stream = file if file is not None else (sys.stderr if stderr else sys.stdout)
    tty = stream.isatty() if hasattr(stream, "isatty") else False
    if file is not None:
        color = False
    no_color = color is False or (color is None and "NO_COLOR" in os.environ and os.environ["NO_COLOR"] != "")
    return _Console(file=stream, width=None if tty else 110, soft_wrap=False, highlight=False,
                    force_terminal=True if color else None, no_color=no_color,
                    color_system=None if no_color else "auto",
                    markup=False, emoji=False)   # text from the data ("[/]") is printed, never interpreted



YEARS = (1900, 2999)   # dates given on the command line: the range every later calculation holds


def parse_created(created: Optional[str]) -> Optional[dt.datetime]:
    if not created:
        return None
    from ..textsafe import shown

    try:
        when = dt.datetime.fromisoformat(created)
    except ValueError:
        raise click.BadParameter(f"{shown(created)} is not an ISO 8601 date or date-time", param_hint="--created") from None
    when = when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)
    try:
        utc_year = when.astimezone(dt.timezone.utc).year
    except OverflowError:
        utc_year = 0
    if not YEARS[0] <= when.year <= YEARS[1] or not YEARS[0] <= utc_year <= YEARS[1]:
        raise click.BadParameter(f"{shown(created)} is outside the years {YEARS[0]} to {YEARS[1]}", param_hint="--created")
    return when



def parse_date(text: str) -> dt.date:
    from ..textsafe import shown

    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{shown(text)} is not a date such as 2026-10-01") from None
    if not YEARS[0] <= day.year <= YEARS[1]:
        raise click.BadParameter(f"{shown(text)} is outside the years {YEARS[0]} to {YEARS[1]}")
    return day

