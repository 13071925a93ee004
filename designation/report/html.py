"""Render a result (or a network of results) to HTML: pure Jinja2, deterministic, autoescaped.

The HTML is the first of two stages; :mod:`designation.report.pdf` lays it out with
WeasyPrint. The page links its stylesheet as ``report.css``, relative to
``designation/report/static``; with ``standalone=True`` the stylesheet and the fonts are
inlined (``data:`` URIs) so the file opens anywhere on its own.
"""
from __future__ import annotations

import base64
import datetime as dt
import functools
import io
import secrets
from importlib import resources
from typing import Any, Iterable, Mapping

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from . import view

STATIC = resources.files(__package__) / "static"
FONT_MIME = {".ttf": "font/ttf", ".otf": "font/otf", ".woff": "font/woff", ".woff2": "font/woff2"}


# How templates are compiled. Any change here changes the compiled code, so it is part of the
# key under which :mod:`.templatecache` keeps that code between processes.
_AUTOESCAPE = dict(enabled_extensions=("html", "svg", "xml"), default=True, default_for_string=True)
_OPTIONS = dict(undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


@functools.lru_cache(maxsize=1)
def environment() -> Environment:
    from . import templatecache

    described = repr(sorted({**_AUTOESCAPE, **_OPTIONS, "undefined": StrictUndefined.__name__}.items()))
    env = Environment(
        loader=PackageLoader(__package__, "templates"),
        autoescape=select_autoescape(**_AUTOESCAPE),
        bytecode_cache=templatecache.for_environment(described),
        **_OPTIONS,
    )
    env.filters.update(
        date=view.long_date,
        sdate=view.short_date,
        pct=view.percent,
        num=view.number,
        capitalise=view.capitalise,
        decapitalise=view.decapitalise,
        join_words=view.join_words,
        timestamp=view.timestamp,
    )
    return env


# Characters every standalone page can show, whatever its text (subsets keep these too).
BASE_CHARS = "".join(chr(c) for c in range(32, 127)) + "✓◐✗–—?★│▪•◦“”‘’…→·×≥≤°£€"
_CSS_MARK = "/*designation:inline-css*/"


def _subset(font: bytes, chars: str) -> bytes:
    """``font`` cut down to ``chars`` (deterministic: no timestamps are recalculated)."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.recalc_timestamp = False
    options.name_IDs = ["*"]  # keep the copyright and licence names
    options.name_legacy = True
    options.notdef_outline = True
    options.layout_features = ["kern", "liga"]
    options.hinting = False
    options.drop_tables += ["FFTM"]
    with io.BytesIO(font) as src:
        tt = TTFont(src, recalcTimestamp=False)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=chars)
    subsetter.subset(tt)
    out = io.BytesIO()
    tt.save(out)
    return out.getvalue()


def inline_css(chars: str | None = None) -> Markup:
    """``report.css`` with every ``url(fonts/...)`` replaced by a ``data:`` URI.

    With ``chars``, each font is subset to those characters (and :data:`BASE_CHARS`), which
    takes a standalone page from megabytes to tens of kilobytes.
    """
    css = (STATIC / "report.css").read_text("utf-8")
    keep = None if chars is None else "".join(sorted(set(chars) | set(BASE_CHARS)))
    for item in sorted((STATIC / "fonts").iterdir(), key=lambda p: p.name):
        suffix = "." + item.name.rsplit(".", 1)[-1]
        ref = f"url(fonts/{item.name})"
        if suffix not in FONT_MIME or ref not in css:
            continue
        data = item.read_bytes() if keep is None else _subset(item.read_bytes(), keep)
        css = css.replace(ref, f"url(data:{FONT_MIME[suffix]};base64,{base64.b64encode(data).decode('ascii')})")
    return Markup(css)  # our own file, never input: safe to print unescaped


def _render(template: str, context: dict[str, Any], standalone: bool) -> str:
    # The marker holds a fresh random token, so no text in the data (a site name quoting the
    # marker) can stand where the stylesheet goes.
    mark = f"{_CSS_MARK[:-2]}:{secrets.token_hex(16)}*/"
    context["inline_css"] = Markup(mark) if standalone else None
    page = environment().get_template(template).render(context)
    if standalone:
        page = page.replace(mark, inline_css(page), 1)
    return page


def render_html(result: Mapping[str, Any], *, created: dt.datetime | None = None,
                standalone: bool = False, as_at: dt.date | None = None) -> str:
    """The site designation report for one engine result, as an HTML document (``as_at``: the day
    overdue dates are judged on; default the day it is rendered)."""
    return _render("site.html", view.site_view(result, created, as_at), standalone)


def render_network_html(results: Iterable[Mapping[str, Any]], *, created: dt.datetime | None = None,
                        standalone: bool = False, as_at: dt.date | None = None) -> str:
    """The network summary for many results (any mix of specifications), as an HTML document."""
    return _render("network.html", view.network_view(results, created, as_at=as_at), standalone)
