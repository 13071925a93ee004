"""The designation policy, end to end through the library API on the fixture ladder.

mini-top (claims TOP) includes mini-base (BASE): MB-01 core (consultant hours >= parameter,
partial from 12), MB-02 expected, MB-03 expected with applies_when and a proportion, MB-04
developmental, MT-01 core; limiter: no ambulances.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from designation import api

from .conftest import GOOD_ANSWERS, submission, write_yaml


def assess(tmp_path: Path, data: dict, **files: dict) -> api.Assessment:
    sub = write_yaml(tmp_path / "site.yaml", data)
    extra = {k: write_yaml(tmp_path / f"{k}.yaml", v) for k, v in files.items()}
    return api.assess_path(sub, **extra)


def with_answers(**changes) -> dict:
    answers = dict(GOOD_ANSWERS)
    for k, v in changes.items():
        if v is None:
            answers.pop(k, None)
        else:
            answers[k] = v
    return answers


def test_all_met_is_designated(mini_specs, tmp_path):
    a = assess(tmp_path, submission())
    assert a.status == "designated"
    assert a.qualifies_for == "TOP"
    j = a.to_json()
    assert j["counts"] == {"met": 5, "partially_met": 0, "not_met": 0, "not_applicable": 0, "not_answered": 0}
    assert j["score"]["overall"] == 100.0
    assert j["outcome"]["to_change_outcome"] == []


def test_core_gap_without_plan_is_not_designated_and_explained(mini_specs, tmp_path):
    a = assess(tmp_path, submission(answers=with_answers(consultant_hours=8)))
    assert a.status == "not_designated"
    mb01 = next(s for s in a.to_json()["standards"] if s["id"] == "MB-01")
    assert mb01["status"] == "not_met"
    assert mb01["reason"] == "consultant presence must be at least 16 hours a day; reported: 8 hours a day"
    assert mb01["reported"] == {"consultant presence": "8 hours a day"}
    assert any("MB-01" in r for r in a.decision.reasons)
    assert [x["id"] for x in a.decision.to_change] == ["MB-01"]
    assert a.qualifies_for is None


def test_partial_status_and_half_credit(mini_specs, tmp_path):
    a = assess(tmp_path, submission(answers=with_answers(consultant_hours=12)))
    mb01 = next(r for r in a.results if r.id == "MB-01")
    assert mb01.status == "partially_met"
    # core: MB-01 0.5 + MT-01 1 of 2; expected 2 of 2 -> overall 3.5 / 4
    assert a.to_json()["score"]["overall"] == 87.5
    assert a.to_json()["score"]["by_category"]["core"] == 75.0


def test_action_plan_within_window_gives_conditions_with_dates(mini_specs, tmp_path):
    plans = {"MB-01": {"action": "Recruit two consultants", "owner": "Clinical Director", "due": "2027-03-31"}}
    a = assess(tmp_path, submission(answers=with_answers(consultant_hours=12), action_plans=plans))
    assert a.status == "designated_with_conditions"
    assert a.decision.conditions == [{"standard": "MB-01", "title": "Consultant present at least 16 hours a day", "category": "core",
                                      "kind": "action_plan", "action": "Recruit two consultants",
                                      "owner": "Clinical Director", "due": "2027-03-31"}]
    assert a.decision.to_change_target == "designated"
    assert [x["id"] for x in a.decision.to_change] == ["MB-01"]


def test_action_plan_beyond_window_does_not_count(mini_specs, tmp_path):
    plans = {"MB-01": {"action": "Recruit", "owner": "CD", "due": "2027-06-30"}}
    a = assess(tmp_path, submission(answers=with_answers(consultant_hours=12), action_plans=plans))
    assert a.status == "not_designated"
    note = a.to_json()["standards"][0]["action_plan"]
    assert note["covers"] is False and "1 Apr 2027, the end of the 6-month action-plan window" in note["note"]


def test_limiter_decides_whatever_else(mini_specs, tmp_path):
    a = assess(tmp_path, submission(answers=with_answers(accepts_ambulances=False)))
    assert a.status == "not_designated"
    assert a.decision.reasons[0] == ("The site does not accept ambulance arrivals: a defining feature of this "
                                     "facility type, which no action plan or derogation can cover.")
    assert a.decision.to_change[0]["id"] == "no-ambulances"


def test_unanswered_question_is_not_answered_and_gates(mini_specs, tmp_path):
    a = assess(tmp_path, submission(answers=with_answers(consultant_hours=None)))
    mb01 = next(r for r in a.results if r.id == "MB-01")
    assert mb01.status == "not_answered"
    assert mb01.reason == "consultant presence is not answered"
    assert a.status == "not_designated"


def test_not_applicable_is_excluded_from_scores(mini_specs, tmp_path):
    a = assess(tmp_path, submission(answers=with_answers(site_type="standalone", mh_response_minutes=45)))
    mb03 = next(r for r in a.results if r.id == "MB-03")
    assert mb03.status == "not_applicable"
    assert "applies only when the site type is co located" in mb03.reason
    # expected: MB-02 not met, MB-03 excluded -> 0%
    assert a.to_json()["score"]["by_category"]["expected"] == 0.0


def test_zero_denominator_is_not_applicable_not_a_crash(mini_specs, tmp_path):
    a = assess(tmp_path, submission(answers=with_answers(reviews={"numerator": 0, "denominator": 0})))
    mb03 = next(r for r in a.results if r.id == "MB-03")
    assert mb03.status == "not_applicable"
    assert mb03.reason == "no eligible cases: children with an annual review has a denominator of 0"


def test_proportion_percentage_is_computed_and_reported(mini_specs, tmp_path):
    a = assess(tmp_path, submission(answers=with_answers(reviews={"numerator": 7, "denominator": 10})))
    mb03 = next(s for s in a.to_json()["standards"] if s["id"] == "MB-03")
    assert mb03["status"] == "not_met"
    assert mb03["reported"] == {"children with an annual review": "70% (7 of 10)",
                                "the site type": "co located"}


def test_ladder_falls_back_to_the_level_the_site_meets(mini_specs, tmp_path):
    a = assess(tmp_path, submission(answers=with_answers(specialist_services=0)))
    assert a.status == "not_designated"
    assert a.qualifies_for == "BASE"
    assert a.decision.reasons[-1] == "Claimed TOP; qualifies as BASE."


def test_live_derogation_covers_and_expired_one_does_not(mini_specs, tmp_path):
    derogs = {"derogations": [
        {"site": "TST01", "standard": "MB-01", "reason": "Interim cover agreed", "approver": "Network Board",
         "approved_on": "2026-06-01", "expires_on": "2027-03-31"},
        {"site": "TST01", "standard": "MT-01", "reason": "Old exemption", "approver": "Network Board",
         "approved_on": "2025-01-01", "expires_on": "2026-09-30"},
    ]}
    a = assess(tmp_path, submission(answers=with_answers(consultant_hours=12)), derogations=derogs)
    assert a.status == "designated_with_conditions"
    statuses = {d["standard"]: d["status"] for d in a.derogation_status}
    assert statuses == {"MB-01": "applied", "MT-01": "expired"}
    j = a.to_json()
    assert j["outcome"]["conditions"][0]["kind"] == "derogation"
    assert "derogated" in j["standards"][0]["flags"]
    # after adjustments the derogated standard counts as met; before, it does not
    assert j["score"]["overall"] == 100.0 and j["score"]["before_adjustments"]["overall"] == 87.5
    assert any("expired on 30 Sep 2026" in str(w) for w in a.warnings)


def test_malformed_derogation_is_treated_as_expired(mini_specs, tmp_path):
    derogs = {"derogations": [{"site": "TST01", "standard": "MB-01", "reason": "x", "approver": "",
                               "approved_on": "2026-06-01", "expires_on": "next spring"}]}
    a = assess(tmp_path, submission(answers=with_answers(consultant_hours=12)), derogations=derogs)
    assert a.status == "not_designated"
    (d,) = a.derogation_status
    assert d["status"] == "invalid"
    assert "approver is missing" in d["note"] and "expires_on must be a date" in d["note"]


def test_review_downgrades_a_self_assessed_met(mini_specs, tmp_path):
    review = {"format": 1, "site": "TST01", "reviewer": {"name": "A Reviewer", "role": "Network clinical lead"},
              "reviewed_on": "2026-10-15",
              "verified": {"consultant_hours": {"value": 10, "reason": "Rota shows 10 hours on Saturdays"}}}
    a = assess(tmp_path, submission(), review=review)
    assert a.status == "not_designated"
    j = a.to_json()
    mb01 = j["standards"][0]
    assert mb01["status"] == "not_met" and "overridden" in mb01["flags"]
    assert mb01["review"] == [{"question": "consultant_hours", "label": "consultant presence",
                               "self_assessed": "16 hours a day", "verified": "10 hours a day",
                               "reason": "Rota shows 10 hours on Saturdays", "agrees": False, "difference": -6.0}]
    assert j["review"]["checked"] == 1 and j["review"]["disagreements"] == 1
    assert j["score"]["before_adjustments"]["overall"] == 100.0 and j["score"]["overall"] == 75.0


def test_tailoring_changes_threshold_within_bounds(mini_specs, tmp_path):
    a = assess(tmp_path, submission(answers=with_answers(consultant_hours=14)),
               tailoring={"parameters": {"mini-base": {"hours_min": 14}}})
    assert a.status == "designated"
    assert a.to_json()["parameters"]["hours_min"]["tailored"] is True
    from designation.errors import InputError
    with pytest.raises(InputError, match="outside the bounds the spec allows"):
        assess(tmp_path, submission(), tailoring={"parameters": {"mini-base": {"hours_min": 8}}})


def test_evidence_flags(mini_specs, tmp_path):
    a = assess(tmp_path, submission(answers=with_answers(consultant_hours=16)))
    assert "evidence_missing" in a.to_json()["standards"][0]["flags"]
    old = {"value": 16, "evidence": [{"title": "Rota", "date": "2024-01-01"}]}
    a = assess(tmp_path, submission(answers=with_answers(consultant_hours=old)))
    assert "evidence_stale" in a.to_json()["standards"][0]["flags"]


def test_same_input_same_json(mini_specs, tmp_path):
    import json
    a = json.dumps(assess(tmp_path, submission()).to_json(), sort_keys=True)
    b = json.dumps(assess(tmp_path, submission()).to_json(), sort_keys=True)
    assert a == b
