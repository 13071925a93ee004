"""The words, symbols and colours a report uses for the result vocabulary.

One place, so the site report, the network summary and the CSV can never disagree. Status is
never shown by colour alone: every status has a word and a symbol too, and the colours
(``css`` classes, defined in ``static/report.css``) come from a colour-blind-safe palette.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    key: str
    word: str
    symbol: str
    short: str = ""

    @property
    def brief(self) -> str:
        """The word for narrow table columns."""
        return self.short or self.word

    @property
    def css(self) -> str:
        return self.key.replace("_", "-")


STATUSES: dict[str, Term] = {
    t.key: t
    for t in (
        Term("met", "Met", "✓"),
        Term("partially_met", "Partially met", "◐"),
        Term("not_met", "Not met", "✗"),
        Term("not_applicable", "Not applicable", "–"),
        Term("not_answered", "Not answered", "?"),
    )
}
GAP_STATUSES = ("not_met", "partially_met", "not_answered")

OUTCOMES: dict[str, Term] = {
    t.key: t
    for t in (
        Term("designated", "Designated", "✓"),
        Term("designated_with_conditions", "Designated with conditions", "◐", "With conditions"),
        Term("not_designated", "Not designated", "✗"),
    )
}

# a ladder fall-back: the site qualifies for a lower level than it claimed
QUALIFIES = Term("qualifies_lower", "Qualifies for a lower level", "◐", "Lower level")

CATEGORIES = {
    "core": "Core",
    "expected": "Expected",
    "developmental": "Developmental",
}
CATEGORY_MEANING = {
    "core": "must be met, or covered by an agreed action plan or derogation, for any designation",
    "expected": "counted towards the designation threshold",
    "developmental": "aspirational; reported, never gating",
}

CONFIDENCE = {
    "verified": ("Verified", "Read in the named source document."),
    "indirect": ("Indirect", "A third party (minutes, news, a later document) reports what the source "
                             "requires; the original wording was not seen."),
    "predecessor": ("Predecessor", "An earlier London standard that the specification replaced; read in "
                                   "its source but not confirmed as the current text."),
    "national": ("National", "A national standard or law, used where the London text is unknown."),
    "local": ("Local", "A locally chosen value with no published figure."),
    "unverified": ("Unverified", "Not confirmed in any source; treat with caution and check before relying "
                                 "on it."),
}

FLAGS = {
    "derogated": "derogation applied",
    "verified": "answer verified by reviewer",
    "overridden": "answer changed by reviewer",
    "evidence_missing": "evidence missing",
    "evidence_stale": "evidence out of date",
    "action_plan": "action plan",
}

DEROGATION_STATUS = {
    "applied": "Applied",
    "expired": "Expired: not applied",
    "invalid": "Invalid: not applied",
    "unused": "Unused",
}

# The design's domain order; domains a spec adds come after, in order of first appearance.
DOMAINS = (
    "access", "staffing", "senior review", "diagnostics", "pathways", "mental health",
    "children and young people", "information", "governance", "environment",
)


def status(key: str | None) -> Term:
    """The term for a standard's status; an unknown status reads as itself, with '?'."""
    key = key or "not_answered"
    return STATUSES.get(key) or Term(key, key.replace("_", " ").capitalize(), "?")


def outcome(key: str | None) -> Term:
    key = key or "not_designated"
    return OUTCOMES.get(key) or Term(key, key.replace("_", " ").capitalize(), "?")


def flag_word(flag: str) -> str:
    return FLAGS.get(flag, flag.replace("_", " "))


def confidence(key: str | None) -> tuple[str, str]:
    key = key or "unverified"
    return CONFIDENCE.get(key, (key.capitalize(), ""))


def domain_order(domains) -> list[str]:
    seen = list(dict.fromkeys(domains))
    return [d for d in DOMAINS if d in seen] + [d for d in seen if d not in DOMAINS]
