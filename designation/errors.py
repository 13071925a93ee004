"""The one error type that bad input ever raises, and how it prints.

Every loader, validator and the engine raise :class:`InputError` (or collect several into an
:class:`InputErrors`) for anything a user can fix. The CLI turns them into
``file:line:col: message`` lines and exit code 1; nothing else is allowed to escape as a
traceback for bad input.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One fault in one input file, located as precisely as the input allows."""

    file: str
    message: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.message}"


class InputError(Exception):
    """Bad input: one or more problems, each naming its file, line and column."""

    def __init__(self, problems: list[Problem] | Problem):
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    @classmethod
    def at(cls, file: str, message: str, line: int | None = None, column: int | None = None) -> "InputError":
        return cls(Problem(str(file), message, line, column))
