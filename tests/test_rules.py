"""The condition language: evaluation (three-valued), plain-English descriptions, failures,
and the load-time checks that a comparison fits its question's type and bounds."""
from __future__ import annotations

import datetime as dt

import pytest

from designation.rules import Compiler, Context
from designation.spec import Parameter, Question
from designation.inputs.submission import Proportion


def q(qid: str, type_: str, label: str, **kw) -> Question:
    x = Question(type=type_, label=label, prompt="?", **kw)
    x.id = qid
    return x


QUESTIONS = {
    "hours": q("hours", "hours_per_day", "consultant presence"),
    "amb": q("amb", "boolean", "the site accepts ambulances"),
    "kind": q("kind", "choice", "the site type", choices=["co_located", "standalone"]),
    "mins": q("mins", "minutes", "response time"),
    "when": q("when", "date", "the opening date"),
    "share": q("share", "proportion", "children reviewed"),
    "lead": q("lead", "text", "the clinical lead"),
    "beds": q("beds", "integer", "bed count", min=0, max=50),
}
PARAMS = {"min_hours": Parameter(type="hours_per_day", default=16, description="d", confidence="local")}


def compile_ok(raw):
    c = Compiler("spec.yaml", QUESTIONS, PARAMS, lambda path: (3, 5))
    cond = c.compile(raw, ("met_when",), "standard X-01")
    assert c.problems == [], c.problems
    return cond


def compile_fault(raw) -> str:
    c = Compiler("spec.yaml", QUESTIONS, PARAMS, lambda path: (3, 5))
    assert c.compile(raw, ("met_when",), "standard X-01") is None or c.problems
    assert c.problems
    return str(c.problems[0])


def ctx(**answers):
    return Context(answers, {"min_hours": 16})


@pytest.mark.parametrize("raw,answers,expected", [
    ({"question": "hours", "gte": 16}, {"hours": 16}, True),
    ({"question": "hours", "gte": 16}, {"hours": 15.5}, False),
    ({"question": "hours", "gt": 16}, {"hours": 16}, False),
    ({"question": "hours", "lt": 16}, {"hours": 12}, True),
    ({"question": "hours", "lte": 16}, {"hours": 17}, False),
    ({"question": "hours", "ne": 0}, {"hours": 0}, False),
    ({"question": "hours", "between": [12, 16]}, {"hours": 12}, True),
    ({"question": "hours", "gte": {"param": "min_hours"}}, {"hours": 15}, False),
    ({"question": "amb", "eq": True}, {"amb": True}, True),
    ({"question": "kind", "in": ["co_located"]}, {"kind": "standalone"}, False),
    ({"question": "kind", "not_in": ["co_located"]}, {"kind": "standalone"}, True),
    ({"question": "when", "lte": dt.date(2026, 1, 1)}, {"when": dt.date(2025, 5, 1)}, True),
    ({"question": "share", "gte": 80}, {"share": Proportion(8, 10)}, True),
    ({"question": "share", "gte": 80}, {"share": Proportion(7, 10)}, False),
    ({"answered": "lead"}, {}, False),
    ({"answered": "lead"}, {"lead": "Dr A"}, True),
    ({"not": {"question": "amb", "eq": True}}, {"amb": False}, True),
    ({"all": [{"question": "amb", "eq": True}, {"question": "hours", "gte": 16}]}, {"amb": True, "hours": 8}, False),
    ({"any": [{"question": "amb", "eq": True}, {"question": "hours", "gte": 16}]}, {"amb": False, "hours": 16}, True),
    ({"at_least": 2, "of": [{"question": "amb", "eq": True}, {"question": "hours", "gte": 16},
                            {"question": "mins", "lte": 30}]}, {"amb": True, "hours": 1, "mins": 30}, True),
])
def test_evaluation(raw, answers, expected):
    assert compile_ok(raw).evaluate(ctx(**answers)) is expected


def test_unanswered_is_unknown_not_false_and_logic_is_three_valued():
    both = compile_ok({"all": [{"question": "amb", "eq": True}, {"question": "hours", "gte": 16}]})
    assert both.evaluate(ctx(amb=True)) is None          # hours unknown
    assert both.evaluate(ctx(amb=False)) is False        # already false whatever hours is
    either = compile_ok({"any": [{"question": "amb", "eq": True}, {"question": "hours", "gte": 16}]})
    assert either.evaluate(ctx(amb=True)) is True
    assert either.evaluate(ctx(amb=False)) is None
    two = compile_ok({"at_least": 2, "of": [{"question": "amb", "eq": True}, {"question": "hours", "gte": 16},
                                           {"question": "mins", "lte": 30}]})
    assert two.evaluate(ctx(amb=False, hours=1)) is False  # at most 1 can hold
    assert two.evaluate(ctx(amb=True)) is None


def test_descriptions_read_as_english():
    assert compile_ok({"question": "hours", "gte": {"param": "min_hours"}}).describe({"min_hours": 16}) == \
        "consultant presence is at least 16 hours a day"
    assert compile_ok({"question": "mins", "lte": 30}).describe({}) == "response time is at most 30 minutes"
    assert compile_ok({"question": "amb", "eq": True}).describe({}) == "the site accepts ambulances"
    assert compile_ok({"question": "amb", "eq": False}).describe({}) == "it is not the case that the site accepts ambulances"
    assert compile_ok({"question": "kind", "in": ["co_located", "standalone"]}).describe({}) == \
        "the site type is co located or standalone"
    assert compile_ok({"question": "share", "gte": 80}).describe({}) == "children reviewed is at least 80%"
    assert compile_ok({"question": "hours", "between": [12, 16]}).describe({}) == \
        "consultant presence is between 12 hours a day and 16 hours a day"
    assert compile_ok({"at_least": 1, "of": [{"question": "amb", "eq": True}, {"answered": "lead"}]}).describe({}) == \
        "at least one of: the site accepts ambulances; the clinical lead is answered"


def test_failures_say_what_was_reported_and_required():
    c = compile_ok({"all": [{"question": "amb", "eq": True}, {"question": "hours", "gte": {"param": "min_hours"}}]})
    assert c.failures(ctx(amb=True, hours=12)) == [
        "consultant presence must be at least 16 hours a day; reported: 12 hours a day"]
    assert c.failures(ctx(amb=False, hours=16)) == ["the site accepts ambulances: reported no, needed yes"]
    assert c.failures(ctx(amb=True)) == ["consultant presence is not answered"]
    share = compile_ok({"question": "share", "gte": 80})
    assert share.failures(ctx(share=Proportion(7, 10))) == [
        "children reviewed must be at least 80%; reported: 70% (7 of 10)"]


def test_groups_say_how_many_are_needed_and_in_place_never_hold():
    c = compile_ok({"any": [{"question": "amb", "eq": True}, {"question": "hours", "gte": 16}]})
    text = c.failures(ctx(amb=False, hours=12))
    assert text == ["one of these is needed, and none is in place: the site accepts ambulances: no; "
                    "consultant presence must be at least 16 hours a day (reported: 12 hours a day)"]
    two = compile_ok({"at_least": 2, "of": [{"question": "amb", "eq": True}, {"question": "hours", "gte": 16},
                                            {"answered": "lead"}]})
    assert two.failures(ctx(amb=True, hours=12))[0].startswith("two of these three are needed, and one is in place: ")
    assert not any("hold" in f for f in two.failures(ctx(amb=True, hours=12)))


@pytest.mark.parametrize("raw,message", [
    ({"question": "amb", "gte": 16}, "'amb' is a yes/no question; compare it with eq/ne true or false"),
    ({"question": "hours", "gte": 25}, "25 is outside the bounds of 'hours' (0 to 24)"),
    ({"question": "hours", "gte": "sixteen"}, "compare it with a number, not 'sixteen'"),
    ({"question": "beds", "eq": 2.5}, "takes whole numbers; 2.5 can never match"),
    ({"question": "kind", "eq": "colocated"}, "'colocated' is not a choice of 'kind'; did you mean 'co_located'?"),
    ({"question": "kind", "gte": "co_located"}, "is a choice question; use eq, ne, in or not_in"),
    ({"question": "when", "gte": 2026}, "is a date; compare it with a date"),
    ({"question": "hourz", "gte": 1}, "unknown question 'hourz'; did you mean 'hours'?"),
    ({"question": "hours", "gte": {"param": "min_hourz"}}, "unknown parameter 'min_hourz'; did you mean 'min_hours'?"),
    ({"question": "hours", "between": [16, 12]}, "'between' low value 16 is above high value 12"),
    ({"question": "hours", "gte": 1, "lte": 4}, "a comparison needs exactly one of"),
    ({"any": []}, "'any' takes a non-empty list of conditions"),
    ({"at_least": 3, "of": [{"answered": "lead"}]}, "'at_least' must be a whole number from 1 to 1"),
    ({"eval": "__import__('os')"}, "unknown condition form with keys ['eval']"),
    ("hours >= 16", "a condition must be a mapping"),
])
def test_faulty_conditions_are_rejected_at_load_with_location(raw, message):
    text = compile_fault(raw)
    assert text.startswith("spec.yaml:3:5: standard X-01: ")
    assert message in text
