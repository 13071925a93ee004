"""Property tests (hypothesis): monotone and deterministic assessment, loaders that only ever
raise the project's own error type."""
from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings, strategies as st

from designation import api
from designation.inputs import yamlsafe
from designation.designate import RANK
from designation.errors import InputError

from .conftest import GOOD_ANSWERS, submission, write_yaml

# For each question of the fixture ladder: values that fail the standards using it, and one that meets.
FAILING = {
    "consultant_hours": st.floats(min_value=0, max_value=15.9),
    "single_call_mh": st.just(False),
    "mh_response_minutes": st.integers(min_value=31, max_value=600),
    "reviews": st.integers(min_value=1, max_value=50).flatmap(
        lambda d: st.integers(min_value=0, max_value=max(0, (8 * d - 1) // 10)).map(
            lambda n: {"numerator": n, "denominator": d})),
    "specialist_services": st.just(0),
}
MEETING = {k: GOOD_ANSWERS[k] for k in FAILING}


@st.composite
def answer_sets(draw):
    answers = dict(GOOD_ANSWERS)
    for q in draw(st.sets(st.sampled_from(sorted(FAILING)))):
        answers[q] = draw(FAILING[q])
    plans = {}
    if draw(st.booleans()):
        plans["MB-01"] = {"action": "a", "owner": "o", "due": "2027-01-31"}
    return answers, plans


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(case=answer_sets(), fix=st.sampled_from(sorted(FAILING)))
def test_changing_one_answer_from_failing_to_meeting_never_worsens_the_outcome(mini_specs, tmp_path, case, fix):
    answers, plans = case
    extra = {"action_plans": plans} if plans else {}
    before = api.assess_path(write_yaml(tmp_path / "a.yaml", submission(answers=answers, **extra)))
    after = api.assess_path(write_yaml(tmp_path / "b.yaml", submission(answers={**answers, fix: MEETING[fix]}, **extra)))
    assert RANK[after.status] >= RANK[before.status]
    assert (after.to_json()["score"]["overall"] or 0) >= (before.to_json()["score"]["overall"] or 0)
    ladder = {None: 0, "BASE": 1, "TOP": 2}
    assert ladder[after.qualifies_for] >= ladder[before.qualifies_for]


STANDARDS = ("MB-01", "MB-02", "MB-03", "MT-01")
LADDER = {None: 0, "BASE": 1, "TOP": 2}


@st.composite
def contexts(draw):
    """Answers, covers and network tailoring, all drawn: the properties must hold in every context."""
    answers, _ = draw(answer_sets())
    plans = {sid: {"action": "a", "owner": "o", "due": "2027-01-31"}
             for sid in draw(st.sets(st.sampled_from(STANDARDS)))}
    live = draw(st.sets(st.sampled_from(STANDARDS)))
    tailoring: dict = {}
    params = {}
    if draw(st.booleans()):
        params["hours_min"] = draw(st.integers(min_value=12, max_value=24))
    if draw(st.booleans()):
        params["reviews_target"] = draw(st.integers(min_value=50, max_value=100))
    if params:
        tailoring["parameters"] = {"mini-base": params}
    policy = {}
    if draw(st.booleans()):
        policy["threshold"] = draw(st.integers(min_value=50, max_value=100))
    if draw(st.booleans()):
        policy["action_plan_window_months"] = draw(st.integers(min_value=1, max_value=12))
    if policy:
        tailoring["policy"] = {"mini-top": policy, "mini-base": dict(policy)}
    return answers, plans, live, tailoring


def _derogation(sid: str, live: bool) -> dict:
    return {"site": "TST01", "standard": sid, "reason": "agreed", "approver": "Network Board",
            "approved_on": "2026-01-01", "expires_on": "2027-01-01" if live else "2026-06-30"}


def _run(tmp_path, name, answers, plans, derogs, tailoring):
    folder = tmp_path / name
    folder.mkdir(exist_ok=True)
    sub = write_yaml(folder / "site.yaml", submission(answers=answers, **({"action_plans": plans} if plans else {})))
    d = write_yaml(folder / "d.yaml", {"derogations": derogs}) if derogs else None
    t = write_yaml(folder / "t.yaml", tailoring) if tailoring else None
    return api.assess_path(sub, derogations=d, tailoring=t, discover=False)


def _not_worse(after, before):
    assert RANK[after.status] >= RANK[before.status], (before.decision.reasons, after.decision.reasons)
    assert LADDER[after.qualifies_for] >= LADDER[before.qualifies_for]


@SETTINGS
@given(ctx=contexts(), data=st.data())
def test_meeting_covering_or_derogating_never_worsens_the_outcome_under_any_tailoring(mini_specs, tmp_path, ctx, data):
    answers, plans, live, tailoring = ctx
    derogs = [_derogation(s, True) for s in sorted(live)]
    base = _run(tmp_path, "base", answers, plans, derogs, tailoring)
    move = data.draw(st.sampled_from(["answer", "plan", "derogation", "expiry"]))
    if move == "answer":
        fix = data.draw(st.sampled_from(sorted(FAILING)))
        _not_worse(_run(tmp_path, "x", {**answers, fix: MEETING[fix]}, plans, derogs, tailoring), base)
    elif move == "plan":
        sid = data.draw(st.sampled_from(STANDARDS))
        more = {**plans, sid: {"action": "a", "owner": "o", "due": "2027-01-31"}}
        _not_worse(_run(tmp_path, "x", answers, more, derogs, tailoring), base)
    elif move == "derogation":
        sid = data.draw(st.sampled_from([s for s in STANDARDS if s not in live] or list(STANDARDS)))
        more = [d for d in derogs if d["standard"] != sid] + [_derogation(sid, True)]
        _not_worse(_run(tmp_path, "x", answers, plans, more, tailoring), base)
    else:  # the same derogation, expired, never gives a better outcome than live
        sid = data.draw(st.sampled_from(STANDARDS))
        expired = [d for d in derogs if d["standard"] != sid] + [_derogation(sid, False)]
        live_ = [d for d in derogs if d["standard"] != sid] + [_derogation(sid, True)]
        _not_worse(_run(tmp_path, "live", answers, plans, live_, tailoring),
                   _run(tmp_path, "x", answers, plans, expired, tailoring))


@SETTINGS
@given(case=answer_sets())
def test_assessment_is_deterministic(mini_specs, tmp_path, case):
    answers, plans = case
    path = write_yaml(tmp_path / "a.yaml", submission(answers=answers, action_plans=plans))
    first = json.dumps(api.assess_path(path).to_json(), sort_keys=True)
    assert json.dumps(api.assess_path(path).to_json(), sort_keys=True) == first


yaml_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20))
yaml_like = st.recursive(yaml_scalars, lambda children: st.one_of(
    st.lists(children, max_size=4), st.dictionaries(st.text(max_size=10), children, max_size=4)), max_leaves=20)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.one_of(st.binary(max_size=300), yaml_like.map(lambda d: json.dumps(d).encode())))
def test_loaders_only_ever_raise_input_error(mini_specs, tmp_path, data):
    from designation.inputs import derogations, submission as sub_mod, tailoring

    f = tmp_path / "x.yaml"
    f.write_bytes(data)
    for load in (sub_mod.load, derogations.load, tailoring.load, yamlsafe.load_file):
        try:
            load(f)
        except InputError:
            pass
