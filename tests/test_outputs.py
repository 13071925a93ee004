"""No command writes to a path it read, a settings file, a path it writes twice, or a device;
outputs honour the umask or keep the mode of the file they replace.

Table-driven over every command that writes (report, report --network, template, batch), plus a
property test of the guard itself over generated aliasings (same name, ./name, symlink, hard link).
"""
from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from designation.atomic import check_outputs, write_text
from designation.cli import main
from designation.errors import InputError

from .conftest import submission, write_yaml


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.is_symlink()}


@pytest.fixture
def net(tmp_path: Path, mini_specs: Path) -> Path:
    d = tmp_path / "net"
    (d / "reviews").mkdir(parents=True)
    write_yaml(d / "site.yaml", submission())
    (d / "derogations.yaml").write_text("derogations: []\n")
    (d / "tailoring.yaml").write_text("parameters: {}\n")
    (d / "reviews" / "site.yaml").write_text("# a review\n")
    os.link(d / "site.yaml", tmp_path / "hardlink.yaml")
    (tmp_path / "symlink.pdf").symlink_to(d / "site.yaml")
    return d


CASES = [  # arguments (NET = the network folder, T = its parent), what the refusal names
    (["report", "NET/site.yaml", "-o", "NET/site.yaml"], "is one of the inputs"),
    (["report", "NET/site.yaml", "-o", "T/x.pdf", "--html", "NET/site.yaml"], "--html is one of the inputs"),
    (["report", "NET/site.yaml", "-o", "T/x.pdf", "--html", "T/x.pdf"], "same path as -o"),
    (["report", "NET/site.yaml", "-o", "T/./x.pdf", "--html", "T/x.pdf"], "same path as -o"),
    (["report", "NET/site.yaml", "-o", "T/symlink.pdf"], "one of the inputs"),
    (["report", "NET/site.yaml", "-o", "T/hardlink.yaml"], "one of the inputs"),
    (["report", "NET/site.yaml", "-o", "NET/derogations.yaml"], "one of the inputs"),
    (["report", "NET/site.yaml", "-o", "NET/tailoring.yaml"], "one of the inputs"),
    (["report", "NET/site.yaml", "-o", "T/derogations.yaml"], "network settings file"),
    (["report", "NET/site.yaml", "-o", "NET/reviews/out.pdf"], "reviews/ folder"),
    (["report", "NET/site.yaml", "--review", "NET/reviews/site.yaml", "-o", "NET/reviews/site.yaml"], "one of the inputs"),
    (["report", "--network", "NET", "-o", "NET/derogations.yaml"], "one of the inputs"),
    (["report", "--network", "NET", "-o", "NET/site.csv"], "same path as -o"),
    (["report", "--network", "NET", "-o", "NET/site.yaml"], "is one of the inputs"),
    (["template", "mini-top", "-o", "NET/site.yaml"], ""),
    (["template", "mini-top", "-o", "NET/derogations.yaml"], "network settings file"),
    (["template", "mini-top", "-o", "NET/reviews/x.yaml"], "reviews/ folder"),
    (["template", "mini-top", "-o", "T/fifo"], "FIFO"),
    (["template", "mini-top", "-o", "T/readonly.yaml"], "read-only"),
    (["template", "mini-top", "-o", "NET"], ""),
    (["batch", "NET", "-o", "NET/reviews"], "reviews/ folder"),
    (["batch", "NET", "-o", "NET/site.yaml"], "is a file"),
]


@pytest.mark.parametrize("args, says", CASES, ids=[" ".join(c[0]) for c in CASES])
def test_no_command_overwrites_what_it_must_not(net: Path, args: list[str], says: str) -> None:
    t = net.parent
    os.mkfifo(t / "fifo")
    ro = t / "readonly.yaml"
    ro.write_text("keep me\n")
    ro.chmod(0o444)
    if args[0] == "template" and args[-1] == "NET/site.yaml":
        # a submission is not an input of `template`, but a read-only one must not be replaced
        (net / "site.yaml").chmod(0o444)
        says = "read-only"
    before = _digest(t)
    argv = [a.replace("NET", str(net)).replace("T/", f"{t}/") for a in args]
    res = CliRunner().invoke(main, argv)
    assert res.exit_code in (1, 2), res.output
    assert "Traceback" not in res.output and "internal error" not in res.output
    assert says in res.output, res.output
    assert _digest(t) == before, "something was written"
    assert stat.S_ISFIFO(os.stat(t / "fifo").st_mode)


def test_refused_before_any_work(net: Path) -> None:
    """The output is checked before the input is read: an invalid submission is not mentioned."""
    (net / "site.yaml").write_text("not: [valid\n")
    res = CliRunner().invoke(main, ["report", str(net / "site.yaml"), "-o", str(net / "site.yaml")])
    assert res.exit_code == 2 and "one of the inputs" in res.output and "syntax" not in res.output


def test_a_character_device_is_never_an_output() -> None:
    with pytest.raises(InputError, match="character device"):
        check_outputs({"-o": "/dev/null"})


# -- the guard, as a property over generated aliasings -----------------------------------------

SPELLINGS = ["same", "dot", "symlink", "hardlink", "other"]


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(st.lists(st.sampled_from(SPELLINGS), min_size=1, max_size=4), st.booleans())
def test_guard_refuses_exactly_the_outputs_that_alias_an_input_or_each_other(tmp_path_factory, spellings, dup) -> None:
    d = tmp_path_factory.mktemp("g")
    src = d / "in.yaml"
    src.write_text("x: 1\n")
    made = {"same": src, "dot": d / "." / "in.yaml"}
    (d / "ln").symlink_to(src)
    os.link(src, d / "hard.yaml")
    made.update(symlink=d / "ln", hardlink=d / "hard.yaml")
    outputs = {}
    for i, s in enumerate(spellings):
        outputs[f"out{i}"] = made.get(s, d / f"new{i}.pdf")
    if dup:
        outputs["again"] = outputs["out0"]
    aliasing = any(s != "other" for s in spellings) or dup
    if aliasing:
        with pytest.raises(InputError):
            check_outputs(outputs, inputs=[src])
    else:
        check_outputs(outputs, inputs=[src])


# -- modes --------------------------------------------------------------------------------------

def test_new_outputs_honour_the_umask_and_replaced_ones_keep_their_mode(tmp_path: Path) -> None:
    old = os.umask(0o077)
    try:
        write_text(tmp_path / "new.json", "{}")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "new.json").st_mode) == 0o600
    kept = tmp_path / "kept.json"
    kept.write_text("old")
    kept.chmod(0o640)
    write_text(kept, "new")
    assert stat.S_IMODE(os.stat(kept).st_mode) == 0o640 and kept.read_text() == "new"


def test_a_submission_named_like_the_network_summary_is_refused_not_clobbering_it(net: Path) -> None:
    write_yaml(net / "network-summary.yaml", submission())
    (net / "reviews" / "site.yaml").unlink()
    out = net.parent / "out"
    res = CliRunner().invoke(main, ["batch", str(net), "-o", str(out), "--no-pdf", "--jobs", "1"])
    assert res.exit_code == 1
    assert "cannot be named network-summary.yaml" in res.output
    assert not (out / "network-summary.json").exists()
    assert "TST01" in (out / "network-summary.csv").read_text()
