"""Numbers are read the way a person reads them, or refused with the reason.

YAML 1.1 reads ``016`` as 14, ``1:30`` as 90, ``0x2d`` as 45 and ``4_5`` as 45. The property:
for any plain scalar, what the loader returns is either text (the person wrote text), or the
number a person reads in it; anything else is an InputError that says what to write instead.
"""
from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from designation.cli import main
from designation.errors import InputError
from designation.inputs import yamlsafe

from .conftest import submission, write_yaml

CI = settings(max_examples=400, deadline=None, derandomize=True, database=None)

# What a person reads as a number: digits, one optional point, an optional sign; a whole number
# has no leading zero (016 is ambiguous between sixteen and octal fourteen).
PERSON = re.compile(r"[-+]?(?:(?:0|[1-9][0-9]*)(?:\.[0-9]*)?|[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+][0-9]+)?\Z")

scalars = st.from_regex(r"\A[-+]?[0-9_:.xXbBoOeE+a-f]{1,9}\Z") | st.sampled_from(
    ["016", "-016", "007", "08", "1:30", "0:45", "00:30", "190:20:30", "1:30.5", "0x2d", "+0x1F", "0b101",
     "4_5", "1_000", "1_000.5", ".inf", "-.Inf", ".NaN", "0", "-0", "+12", "12.50", ".5", "1.", "016.5"])


def _read(text: str):
    return yamlsafe.load_text(f"a: {text}\n").data["a"]


@CI
@given(scalars)
def test_a_plain_scalar_is_text_the_number_a_person_reads_or_refused(text: str) -> None:
    try:
        value = _read(text)
    except InputError as exc:
        message = exc.problems[0].message
        assert exc.problems[0].line == 1
        assert "write" in message or "not read" in message or "YAML syntax" in message, message
        return
    if isinstance(value, bool) or value is None or not isinstance(value, (int, float)):
        # text (or a date/yes/no): never a number the person did not write
        return
    assert PERSON.match(text), f"{text!r} was read as the number {value!r}"
    assert math.isfinite(value)
    try:
        assert Decimal(str(value)) == Decimal(text.rstrip(".") or "0") or math.isclose(value, float(text))
    except InvalidOperation:  # pragma: no cover - PERSON admits only decimal text
        raise AssertionError(text) from None


@pytest.mark.parametrize("text, says", [
    ("016", "write 16; a leading zero makes YAML read 016 as the octal number 14"),
    ("-016", "write -16"),
    ("08", "write 8; a leading zero"),
    ("1:30", "1:30 looks like a time (YAML 1.1 counts it in sixties and reads 90)"),
    ("0:45", "0:45 looks like a time"),
    ("0x2d", "0x2d is a hexadecimal number (YAML reads it as 45)"),
    ("0b11", "0b11 is a binary number"),
    ("4_5", "write 45 without underscores"),
    (".inf", ".inf is not a finite number"),
    (".nan", ".nan is not a finite number"),
])
def test_each_misreadable_number_is_refused_with_what_to_write(text: str, says: str) -> None:
    with pytest.raises(InputError) as info:
        _read(text)
    assert says in info.value.problems[0].message
    assert (info.value.problems[0].line, info.value.problems[0].column) == (1, 4)


@pytest.mark.parametrize("text, value", [("16", 16), ("-3", -3), ("+12", 12), ("0", 0), ("0.5", 0.5), (".5", 0.5),
                                         ("12.50", 12.5), ("016.5", 16.5), ("'016'", "016"), ('"1:30"', "1:30"),
                                         ("0o17", "0o17"), ("1e3", "1e3"), ("1.0e+3", 1000.0)])
def test_plain_decimals_and_quoted_text_are_read_as_written(text: str, value) -> None:
    assert _read(text) == value


def test_keys_that_look_like_numbers_stay_as_written() -> None:
    doc = yamlsafe.load_text("016: a\n0x2d: b\n1:30: c\n7: d\n")
    assert doc.data == {"016": "a", "0x2d": "b", "1:30": "c", 7: "d"}


def test_yaml_still_misreads_these_so_the_guard_matters() -> None:
    """The premise: PyYAML itself gives the surprising values (if it ever stops, this says so)."""
    assert yaml.safe_load("[016, 1:30, 0x2d, 4_5]") == [14, 90, 45, 45]


@pytest.mark.parametrize("value, says", [("016", "write 16"), ("1:30", "looks like a time"), ("0:45", "looks like a time")])
def test_validate_refuses_a_misread_answer_located(tmp_path: Path, mini_specs: Path, value: str, says: str) -> None:
    path = write_yaml(tmp_path / "site.yaml", submission())
    text = path.read_text().replace("mh_response_minutes: 30", f"mh_response_minutes: {value}")
    assert value in text
    path.write_text(text)
    res = CliRunner().invoke(main, ["validate", str(path)])
    assert res.exit_code == 1
    assert re.match(re.escape(str(path)) + r":\d+:\d+: ", res.output), res.output
    assert says in res.output


# The loader's lean tag resolver (yamlsafe._FastLoader) must give every scalar the tag PyYAML's own
# resolver gives it: every check above starts from that tag.
any_scalar = scalars | st.text(max_size=12) | st.sampled_from(
    ["", "~", "null", "Null", "NULL", "yes", "No", "ON", "off", "y", "n", "true", "False", "2026-10-01",
     "2026-10-01 10:00:00", "<<", "=", "1e3", "1.0e+3", "-.5", "+.inf", "Yes please", "no one"])


@CI
@given(any_scalar, st.sampled_from([(True, False), (False, True), (False, False)]))
def test_lean_resolver_gives_pyyaml_tags(text, implicit):
    ours = yamlsafe._FastLoader("").resolve(yaml.ScalarNode, text, implicit)
    pyyaml = yaml.SafeLoader("").resolve(yaml.ScalarNode, text, implicit)
    assert ours == pyyaml, text
    for kind in (yaml.SequenceNode, yaml.MappingNode):
        assert yamlsafe._FastLoader("").resolve(kind, None, (True, False)) == yaml.SafeLoader("").resolve(kind, None, (True, False))


@CI
@given(st.integers(min_value=-10**30, max_value=10**30) | st.dates(), st.sampled_from(["", "+"]))
def test_fast_read_integers_and_dates_are_what_pyyaml_reads(value, sign):
    text = (sign if isinstance(value, int) and value >= 0 else "") + (
        value.isoformat() if not isinstance(value, int) else str(value))
    ours = _read(text)
    assert ours == yaml.load(f"a: {text}", Loader=yaml.CSafeLoader)["a"] == value
    assert type(ours) is type(value)
