"""Values that must be refused, not coerced or silently used (table-driven, and generated).

Each case changes one thing in a valid submission (or review, or template call, or batch folder)
and names what the refusal says; every refusal is exit 1 (2 for a usage error), located, and
never a traceback.
"""
from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from designation.cli import main
from designation.errors import InputError
from designation.inputs import review as review_mod, submission as sub_mod, yamlsafe
from designation.network import batch

from .conftest import submission, write_yaml


def _set(path: tuple, value: Any) -> Callable[[dict], None]:
    def apply(d: dict) -> None:
        node = d
        for k in path[:-1]:
            node = node.setdefault(k, {})
        node[path[-1]] = value
    return apply


PLAN = {"action": "Recruit", "owner": "Lead", "due": dt.date(2027, 1, 1)}
SUBMISSION_CASES = [
    ("format true", _set(("format",), True), "format"),
    ("format '1'", _set(("format",), "1"), "format"),
    ("format 1.0", _set(("format",), 1.0), "format"),
    ("assessed_on a number", _set(("assessed_on",), 20261001), "expected a date such as 2026-10-01"),
    ("site name blank", _set(("site", "name"), "   "), "blank"),
    ("site code blank", _set(("site", "code"), "\t "), "blank"),
    ("site name nbsp", _set(("site", "name"), "\u00a0\u2003"), "blank"),
    ("plan action blank", _set(("action_plans", "S1"), {**PLAN, "action": "  "}), "blank"),
    ("plan owner blank", _set(("action_plans", "S1"), {**PLAN, "owner": " "}), "blank"),
    ("plan due 9999", _set(("action_plans", "S1"), {**PLAN, "due": dt.date(9999, 12, 31)}), "not a plausible date"),
    ("evidence after assessment", _set(("answers", "consultant_hours"),
                                       {"value": 16, "evidence": [{"title": "Rota", "date": dt.date(2031, 1, 1)}]}),
     "more than a year after the assessment date"),
    ("evidence date a number", _set(("answers", "consultant_hours"),
                                    {"value": 16, "evidence": [{"title": "Rota", "date": 20260901}]}),
     "expected a date"),
    ("signed off blank", _set(("signed_off_by",), {"name": " ", "role": "CEO"}), "blank"),
]


@pytest.mark.parametrize("name, change, says", SUBMISSION_CASES, ids=[c[0] for c in SUBMISSION_CASES])
def test_a_submission_value_that_should_be_refused_is(tmp_path: Path, mini_specs: Path, name, change, says) -> None:
    data = submission()
    change(data)
    path = write_yaml(tmp_path / "site.yaml", data)
    res = CliRunner().invoke(main, ["validate", str(path)])
    assert res.exit_code == 1, res.output
    assert res.output.startswith(f"{path}:") and says in res.output, res.output
    assert "Traceback" not in res.output


def test_a_nul_written_as_an_escape_is_refused(tmp_path: Path, mini_specs: Path) -> None:
    path = write_yaml(tmp_path / "site.yaml", submission())
    path.write_text(path.read_text().replace("lead_name: Dr Example", 'lead_name: "Dr\\0Example"'))
    res = CliRunner().invoke(main, ["validate", str(path)])
    assert res.exit_code == 1 and "NUL" in res.output, res.output


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(st.text(alphabet=" \t\u00a0\u2003\u3000\u2009\n", min_size=0, max_size=6),
       st.sampled_from([("site", "name"), ("site", "code"), ("action_plans", "S1", "action"),
                        ("action_plans", "S1", "owner")]))
def test_blank_text_is_refused_wherever_a_name_is_needed(blank: str, where: tuple) -> None:
    from designation import spec as spec_mod

    data = submission("mini-top")
    data["action_plans"] = {"S1": dict(PLAN)}
    node = data
    for k in where[:-1]:
        node = node[k]
    node[where[-1]] = blank
    doc = yamlsafe.load_text(yaml.safe_dump(data), "site.yaml")
    with pytest.raises(InputError):
        sub_mod.parse(doc, spec=spec_mod.load_path(Path(__file__).parent / "fixtures" / "specs" / "mini-top.yaml"))


# -- reviews ------------------------------------------------------------------------------------

REVIEW = {"format": 1, "site": "TST01", "reviewer": {"name": "Dr R", "role": "Lead"},
          "reviewed_on": dt.date(2026, 10, 20), "verified": {"mh_response_minutes": {"value": 40, "reason": "Audit"}}}
REVIEW_CASES = [
    ("reason blank", ("verified", "mh_response_minutes", "reason"), "   ", "blank"),
    ("dated 9999-12-31", ("reviewed_on",), dt.date(9999, 12, 31), "not a plausible date"),
    ("dated by a number", ("reviewed_on",), 20261020, "expected a date"),
    ("format true", ("format",), True, "format"),
    ("400 digits", ("verified", "mh_response_minutes", "value"), int("9" * 400), "too large to be an answer"),
]


@pytest.mark.parametrize("name, path, value, says", REVIEW_CASES, ids=[c[0] for c in REVIEW_CASES])
def test_a_review_value_that_should_be_refused_is(tmp_path: Path, mini_specs: Path, name, path, value, says) -> None:
    site = write_yaml(tmp_path / "site.yaml", submission())
    data = copy.deepcopy(REVIEW)
    _set(path, value)(data)
    rv = write_yaml(tmp_path / "review.yaml", data)
    res = CliRunner().invoke(main, ["assess", str(site), "--review", str(rv)])
    assert res.exit_code == 1, res.output
    assert says in res.output and "internal error" not in res.output, res.output


def test_a_huge_verified_count_is_a_change_not_an_overflow(mini_specs: Path) -> None:
    from designation import spec as spec_mod

    spec = spec_mod.load("mini-top")
    data = copy.deepcopy(REVIEW)
    data["verified"] = {"reviews": {"value": {"numerator": int("9" * 400), "denominator": int("9" * 401)},
                                    "reason": "Audit"}}
    doc = yamlsafe.load_text(yaml.safe_dump(data), "review.yaml")
    rv = review_mod.parse(doc, spec, "TST01")
    change = review_mod.Change.of(spec.questions["reviews"], sub_mod.Proportion(9, 10), rv.values["reviews"], "Audit")
    assert change.verified and change.difference is not None


# -- template --set -------------------------------------------------------------------------------

@pytest.mark.parametrize("setting, says", [
    ("accepts_ambulances=1", "expected yes or no"),
    ("accepts_ambulances=0", "expected yes or no"),
    ("mh_response_minutes=yes", "expected a number"),
    ("mh_response_minutes=016", "write 16"),
    ("mh_response_minutes=[", "YAML syntax error"),
    ("mh_response_minutes=!!python/object/apply:os.system [ls]", "is not allowed"),
    ("mh_response_minutes=!!binary aGk=", "is not allowed"),
    ("site_type=nope", "is not one of"),
])
def test_template_set_reads_values_like_a_submission_and_refuses_bad_ones(mini_specs: Path, setting: str, says: str) -> None:
    res = CliRunner().invoke(main, ["template", "mini-top", "--set", setting])
    assert res.exit_code == 2, res.output
    assert says in res.output and "internal error" not in res.output, res.output


# -- batch ----------------------------------------------------------------------------------------

def test_two_submissions_for_one_site_in_a_batch_are_both_refused(tmp_path: Path, mini_specs: Path) -> None:
    net = tmp_path / "net"
    net.mkdir()
    write_yaml(net / "a.yaml", submission())
    write_yaml(net / "b.yaml", submission())
    other = submission()
    other["site"]["code"] = "OTH01"
    write_yaml(net / "c.yaml", other)
    res = batch.run(net, tmp_path / "out", jobs=1, render=False)
    states = {Path(s.file).name: s.state for s in res.sites}
    assert states == {"a.yaml": "invalid", "b.yaml": "invalid", "c.yaml": "rendered"}
    assert "also the site of b.yaml" in res.sites[0].problems[0].message
    assert not (tmp_path / "out" / "a.json").exists()


@pytest.mark.parametrize("formats", [("yaml", "xlsx"), ("xlsx", "xlsx"), ("xlsx", "yaml", "xlsx")],
                         ids=["yaml+xlsx", "xlsx+xlsx", "xlsx+yaml+xlsx"])
def test_one_site_twice_in_a_mixed_folder_is_refused_whatever_the_format(tmp_path: Path, mini_specs: Path,
                                                                         formats: tuple) -> None:
    """The duplicate check reads a workbook's site code from its Site sheet, as the import does."""
    net = tmp_path / "net"
    net.mkdir()
    source = write_yaml(tmp_path / "source.yaml", submission())
    for i, fmt in enumerate(formats):
        name = f"site{i}.{fmt}"
        if fmt == "yaml":
            write_yaml(net / name, submission())
        else:
            res = CliRunner().invoke(main, ["template", "mini-top", "--format", "xlsx", "--from", str(source),
                                            "-o", str(net / name)])
            assert res.exit_code == 0, res.output
    other = submission()
    other["site"]["code"] = "OTH01"
    write_yaml(net / "other.yaml", other)
    before = {p.name: p.read_bytes() for p in net.iterdir()}
    res = batch.run(net, tmp_path / "out", jobs=1, render=False)
    states = {Path(s.file).name: s.state for s in res.sites}
    assert states == {**{f"site{i}.{fmt}": "invalid" for i, fmt in enumerate(formats)}, "other.yaml": "rendered"}
    for s in res.sites:
        if s.state == "invalid":
            others = [f"site{i}.{fmt}" for i, fmt in enumerate(formats) if f"site{i}.{fmt}" != Path(s.file).name]
            assert "site code 'TST01' is also the site of " + ", ".join(others) in s.problems[0].message
    assert not any((tmp_path / "out" / f"site{i}.json").exists() for i in range(len(formats)))
    assert {p.name: p.read_bytes() for p in net.iterdir()} == before


def test_a_dangling_review_link_is_refused_not_skipped(tmp_path: Path, mini_specs: Path) -> None:
    net = tmp_path / "net"
    (net / "reviews").mkdir(parents=True)
    write_yaml(net / "a.yaml", submission())
    (net / "reviews" / "a.yaml").symlink_to(tmp_path / "gone.yaml")
    res = batch.run(net, tmp_path / "out", jobs=1, render=False)
    assert res.sites[0].state == "invalid"
    assert "symbolic link to a file that does not exist" in res.sites[0].problems[0].message
