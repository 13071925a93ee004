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
from importlib import resources
from typing import Any, Iterable, Mapping

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from . import view

STATIC = resources.files(__package__) / "static"
FONT_MIME = {".ttf": "font/ttf", ".otf": "font/otf", ".woff": "font/woff", ".woff2": "font/woff2"}


@functools.lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader(__package__, "templates"),
        autoescape=select_autoescape(("html", "svg", "xml"), default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        date=view.long_date,
        sdate=view.short_date,
        pct=view.percent,
        capitalise=view.capitalise,
        decapitalise=view.decapitalise,
        join_words=view.join_words,
        timestamp=view.timestamp,
    )
    return env


@functools.lru_cache(maxsize=1)
def _inline_css() -> Markup:
    """``report.css`` with every ``url(fonts/...)`` replaced by a ``data:`` URI."""
    css = (STATIC / "report.css").read_text("utf-8")
    fonts = STATIC / "fonts"
    for item in sorted(fonts.iterdir(), key=lambda p: p.name):
        suffix = "." + item.name.rsplit(".", 1)[-1]
        if suffix not in FONT_MIME:
            continue
        data = base64.b64encode(item.read_bytes()).decode("ascii")
        css = css.replace(f"url(fonts/{item.name})", f"url(data:{FONT_MIME[suffix]};base64,{data})")
    return Markup(css)  # our own file, never input: safe to print unescaped


def _render(template: str, context: dict[str, Any], standalone: bool) -> str:
    context["inline_css"] = _inline_css() if standalone else None
    return environment().get_template(template).render(context)


def render_html(result: Mapping[str, Any], *, created: dt.datetime | None = None,
                standalone: bool = False) -> str:
    """The site designation report for one engine result, as an HTML document."""
    return _render("site.html", view.site_view(result, created), standalone)


def render_network_html(results: Iterable[Mapping[str, Any]], *, created: dt.datetime | None = None,
                        standalone: bool = False) -> str:
    """The network summary for many results (any mix of specifications), as an HTML document."""
    return _render("network.html", view.network_view(results, created), standalone)
