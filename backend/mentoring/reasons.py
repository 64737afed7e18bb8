"""Why a mentor suits a mentee, as statements: one code per kind of reason, with the values it names.

A pairing run (`runs.py`, `_reasons`) stores a pair's statements in its `reasons` (JSONB), beside the
English sentences the API and the console show; those sentences are written from the statements here
(`sentence`), so the two cannot say different things. A page in another language writes each
statement from its code and values (backend/portal/mentoring.py, `statement_in_words`), never from
the English sentence. The statements are written for the mentee ("you" is the mentee).

The codes, the values each names, and its sentence:
- `mentor_level`: `skill` (label), `theirs`, `mine` (levels, 0 not rated): "Mentor is level 4 in SQL,
  you are level 2" ("..., you are not yet rated" when `mine` is 0);
- `teaches`: `skills` (labels): "Mentor wants to teach SQL, Python";
- `holds_target_role`: `role` (title): "Mentor is a Senior Analyst, the role you aim for";
- `same_time_zone`: "You share a time zone";
- `time_zones_apart`: `hours` (above 0, at most 12; 1.5 for a half): "Your time zones are 2 hours apart";
- `shared_languages`: `languages` (codes, sorted): "You both speak en, nl";
- `different_departments`: "You work in different departments".

A new kind of reason is a new code here (and its words in the portal's catalogues); a new wording of
an existing one changes only `sentence` and the catalogues. Runs written before statements existed
have only sentences (the portal shows those as written, in English).
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Any, assert_never

Statement = dict[str, Any]


class ReasonCode(StrEnum):
    MENTOR_LEVEL = "mentor_level"
    TEACHES = "teaches"
    HOLDS_TARGET_ROLE = "holds_target_role"
    SAME_TIME_ZONE = "same_time_zone"
    TIME_ZONES_APART = "time_zones_apart"
    SHARED_LANGUAGES = "shared_languages"
    DIFFERENT_DEPARTMENTS = "different_departments"


def mentor_level(skill: str, theirs: int, mine: int) -> Statement:
    return {"code": ReasonCode.MENTOR_LEVEL.value, "skill": skill, "theirs": theirs, "mine": mine}


def teaches(skills: Sequence[str]) -> Statement:
    return {"code": ReasonCode.TEACHES.value, "skills": list(skills)}


def holds_target_role(role: str) -> Statement:
    return {"code": ReasonCode.HOLDS_TARGET_ROLE.value, "role": role}


def time_zones(hours: float) -> Statement:
    """How far apart the two time zones are (0: the same one)."""
    if hours == 0:
        return {"code": ReasonCode.SAME_TIME_ZONE.value}
    return {"code": ReasonCode.TIME_ZONES_APART.value, "hours": int(hours) if float(hours).is_integer() else hours}


def shared_languages(languages: Sequence[str]) -> Statement:
    return {"code": ReasonCode.SHARED_LANGUAGES.value, "languages": list(languages)}


def different_departments() -> Statement:
    return {"code": ReasonCode.DIFFERENT_DEPARTMENTS.value}


def sentence(statement: Statement) -> str:
    """The statement in English, as the API and the console show it (no final full stop)."""
    code = ReasonCode(statement["code"])
    if code is ReasonCode.MENTOR_LEVEL:
        mine = statement["mine"]
        yours = f"level {mine}" if mine else "not yet rated"
        return f"Mentor is level {statement['theirs']} in {statement['skill']}, you are {yours}"
    if code is ReasonCode.TEACHES:
        return f"Mentor wants to teach {', '.join(statement['skills'])}"
    if code is ReasonCode.HOLDS_TARGET_ROLE:
        return f"Mentor is a {statement['role']}, the role you aim for"
    if code is ReasonCode.SAME_TIME_ZONE:
        return "You share a time zone"
    if code is ReasonCode.TIME_ZONES_APART:
        hours = statement["hours"]
        return f"Your time zones are {hours:g} hour{'' if hours == 1 else 's'} apart"
    if code is ReasonCode.SHARED_LANGUAGES:
        return f"You both speak {', '.join(statement['languages'])}"
    if code is ReasonCode.DIFFERENT_DEPARTMENTS:
        return "You work in different departments"
    assert_never(code)
