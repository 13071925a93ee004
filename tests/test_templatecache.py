"""The compiled report templates kept between processes: never stale, never trusted from a folder
someone else could write, never an error."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from jinja2 import Environment, FileSystemLoader

from designation.report import templatecache

ROOT = Path(__file__).resolve().parent.parent


def _env(templates: Path, cache: templatecache.TemplateCache | None) -> Environment:
    return Environment(loader=FileSystemLoader(str(templates)), bytecode_cache=cache, autoescape=True)


@pytest.fixture
def folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    templates = tmp_path / "templates"
    templates.mkdir()
    cache = tmp_path / "cache"
    monkeypatch.setenv(templatecache.CACHE_DIR_ENV, str(cache))
    monkeypatch.delenv(templatecache.NO_CACHE_ENV, raising=False)
    return templates, cache


def _entries(cache: Path) -> list[Path]:
    return sorted((cache / "templates").glob("*.jinja"))


def test_a_second_process_uses_the_compiled_template(folders):
    templates, cache = folders
    (templates / "page.html").write_text("<p>{{ name }}</p>{% include 'part.html' %}", "utf-8")
    (templates / "part.html").write_text("<i>{{ name | upper }}</i>", "utf-8")
    first = _env(templates, templatecache.for_environment("opts"))
    assert first.get_template("page.html").render(name="Northfield & Co") == \
        "<p>Northfield &amp; Co</p><i>NORTHFIELD &amp; CO</i>"
    assert len(_entries(cache)) == 2  # the page and what it includes

    second = _env(templates, templatecache.for_environment("opts"))

    def no_compiling(*args, **kwargs):
        raise AssertionError("compiled again although the cache holds the code")

    second.compile = no_compiling  # type: ignore[method-assign]
    assert second.get_template("page.html").render(name="B") == "<p>B</p><i>B</i>"


def test_a_changed_template_is_never_served_stale(folders):
    templates, _ = folders
    page = templates / "page.html"
    page.write_text("old {{ x }}", "utf-8")
    assert _env(templates, templatecache.for_environment("opts")).get_template("page.html").render(x=1) == "old 1"
    page.write_text("new {{ x }}", "utf-8")   # same size, same name, same second: only the text differs
    assert _env(templates, templatecache.for_environment("opts")).get_template("page.html").render(x=1) == "new 1"


def test_other_compile_options_do_not_share_entries(folders):
    templates, cache = folders
    (templates / "page.html").write_text("{{ x }}", "utf-8")
    _env(templates, templatecache.for_environment("trim_blocks=True")).get_template("page.html")
    _env(templates, templatecache.for_environment("trim_blocks=False")).get_template("page.html")
    assert len(_entries(cache)) == 2


def test_a_torn_or_foreign_entry_is_compiled_again(folders):
    templates, cache = folders
    (templates / "page.html").write_text("hello {{ x }}", "utf-8")
    _env(templates, templatecache.for_environment("opts")).get_template("page.html")
    (entry,) = _entries(cache)
    for junk in (b"", b"j2\x00garbage", entry.read_bytes()[:40], os.urandom(300)):
        entry.write_bytes(junk)
        assert _env(templates, templatecache.for_environment("opts")).get_template("page.html").render(x=2) == "hello 2"


@pytest.mark.skipif(os.name == "nt" or not hasattr(os, "getuid"), reason="POSIX permissions")
def test_a_folder_others_can_write_is_not_trusted(folders):
    _, cache = folders
    assert templatecache.for_environment("opts") is not None
    (cache / "templates").chmod(0o777)
    assert templatecache.for_environment("opts") is None
    (cache / "templates").chmod(0o700)
    cache.chmod(0o777)   # anyone could swap our folder for theirs
    assert templatecache.for_environment("opts") is None
    cache.chmod(0o700)
    assert templatecache.for_environment("opts") is not None


def test_no_cache_where_it_cannot_be_kept(folders, tmp_path, monkeypatch):
    templates, _ = folders
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", "utf-8")
    monkeypatch.setenv(templatecache.CACHE_DIR_ENV, str(blocker / "cache"))
    assert templatecache.for_environment("opts") is None
    monkeypatch.setenv(templatecache.CACHE_DIR_ENV, str(tmp_path / "fine"))
    monkeypatch.setenv(templatecache.NO_CACHE_ENV, "1")
    assert templatecache.for_environment("opts") is None
    (templates / "page.html").write_text("{{ x }}", "utf-8")
    assert _env(templates, None).get_template("page.html").render(x=3) == "3"
    assert not (tmp_path / "fine").exists()


def test_reports_render_the_same_html_with_and_without_the_cache(tmp_path):
    """The report's own templates, from a cold cache, a warm one and none."""
    code = ("import datetime as dt\nfrom designation import api\nfrom designation.report import html\n"
            "r = api.assess_path('submissions/ec-northfield-conditions.yaml').to_json()\n"
            "print(html.render_html(r, created=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc), "
            "as_at=dt.date(2026, 11, 30)))\n")

    def page(**env: str) -> str:
        e = {k: v for k, v in os.environ.items() if k not in (templatecache.CACHE_DIR_ENV, templatecache.NO_CACHE_ENV)}
        e["PYTHONPATH"] = str(ROOT) + os.pathsep + e.get("PYTHONPATH", "")
        return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**e, **env}, check=True,
                              capture_output=True, text=True).stdout

    cache = tmp_path / "cache"
    cold = page(DESIGNATION_CACHE_DIR=str(cache))
    assert _entries(cache), "the report's templates were not kept"
    assert page(DESIGNATION_CACHE_DIR=str(cache)) == cold
    assert page(DESIGNATION_NO_CACHE="1") == cold
    assert "Northfield" in cold
