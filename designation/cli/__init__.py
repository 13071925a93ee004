"""The ``designation`` command: a thin click shell over :mod:`designation.api`.

Exit codes: 0 success; 1 invalid input (each problem printed as ``file:line:col: message``);
2 usage errors (click's convention); 3 an outcome at or below ``assess --fail-on``; 4 an
internal error (a bug: reported in one line, with DESIGNATION_DEBUG=1 for the traceback).
WeasyPrint is imported only by the commands that render. One module per group of commands;
a new command is a new module imported here.
"""
from ._shell import main
from . import network, register, reports, specs, submissions, workbook  # noqa: F401  (each registers its commands)

__all__ = ["main"]
