"""Every kind of notification a producer sends has its words in every language of the portal: written
from the kind and the data the producer stores (backend/notifications/kinds.py), so a new kind, or a
kind whose words are missing from a catalogue, fails here rather than reaching a Dutch page in English."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path
from typing import Any

import pytest

import backend.notifications.service as notification_service
from backend.mentoring import reasons
from backend.mentoring.pairing import UNMATCHED_REASONS
from backend.notifications.kinds import WORDS, NoticeKind, check
from backend.portal.i18n import DEFAULT_LANGUAGE, LANGUAGES, Languages
from backend.portal.notices import RELEASE_NAMES, STAGE_NAMES, notice_in_words

BACKEND = Path(__file__).resolve().parents[2] / "backend"
LANGUAGE_LIST = Languages()

# What each kind's producer stores, as it stores it (ids left out: the words do not use them).
SAMPLES: dict[NoticeKind, dict[str, Any]] = {
    NoticeKind.STALE_SKILLS: {"skills": 2, "confirmed_before": "2025-12-06", "names": ["Dashboards", "SQL"]},
    NoticeKind.APPLICATION_RECEIVED: {
        "applicant_name": "Ana Alvarez",
        "opening_title": "Data Lead",
        "stage": "applied",
    },
    NoticeKind.APPLICATION_STAGE: {
        "opening_title": "Data Lead",
        "stage": "interview",
        "reason_shared": "Na het gesprek",
    },
    NoticeKind.REPORT_APPLIED: {"applicant_name": "Ana Alvarez", "opening_title": "Data Lead", "stage": "applied"},
    NoticeKind.RELEASE_REQUESTED: {
        "applicant_name": "Ana Alvarez",
        "opening_title": "Data Lead",
        "deadline": "2026-12-20T12:00:00+00:00",
    },
    NoticeKind.RELEASE_ANSWERED: {"opening_title": "Data Lead", "status": "blocked"},
    NoticeKind.MENTORING_PAIRED: {
        "role": "mentee",
        "mentor_name": "Ben Bakker",
        "mentee_name": "Ana Alvarez",
        "programme_name": "Data mentoring",
        "reasons": {"factors": {}, "sentences": ["You share a time zone", "You both speak en, nl"]},
        "reason_statements": [reasons.time_zones(0), reasons.shared_languages(["en", "nl"])],
    },
    NoticeKind.MENTORING_WAITLISTED: {
        "programme_name": "Data mentoring",
        "position": 3,
        "reason_code": "at_capacity",
        "reason": UNMATCHED_REASONS["at_capacity"],
    },
    NoticeKind.MENTORING_PAIRING_ENDED: {
        "other_name": "Ben Bakker",
        "programme_name": "Data mentoring",
        "reason": "Doel bereikt",
    },
}


def _kinds_producers_send() -> set[str]:
    """The kinds named by every `send(kind=...)` and `Notice(kind=...)` in backend/, and the nightly
    reminder's (`literal(STALE_SKILLS...)`): read from the source, so a producer cannot add a kind
    this test does not see."""
    names: set[str] = set()
    for path in BACKEND.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            callee = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if callee not in ("send", "Notice"):
                continue
            for keyword in node.keywords:
                if keyword.arg == "kind" and isinstance(keyword.value, ast.Name) and keyword.value.id.isupper():
                    names.add(keyword.value.id)
    assert names, "no producer found: the scan is broken"
    kinds = {str(getattr(notification_service, name)) for name in names}
    return kinds | {str(notification_service.STALE_SKILLS)}


def test_every_kind_a_producer_sends_is_a_known_kind_with_its_data_named() -> None:
    sent = _kinds_producers_send()
    assert sent <= {kind.value for kind in NoticeKind}
    assert set(WORDS) == set(NoticeKind)
    # Every kind has a sample here, holding what its words need.
    assert set(SAMPLES) == set(NoticeKind)
    for kind, data in SAMPLES.items():
        check(kind, data)


@pytest.mark.parametrize("kind", list(NoticeKind))
def test_every_kind_is_written_in_every_language_of_the_portal(kind: NoticeKind) -> None:
    english = notice_in_words(LANGUAGE_LIST.get(DEFAULT_LANGUAGE), kind.value, SAMPLES[kind])
    assert english is not None
    for code in LANGUAGES:
        words = notice_in_words(LANGUAGE_LIST.get(code), kind.value, SAMPLES[kind])
        assert words is not None, code
        title, body = words
        assert title
        assert body
        assert "%(" not in title + body
        if code != DEFAULT_LANGUAGE:
            # Translated: not the English words (the catalogue has them).
            assert title != english[0], (code, title)
            assert body != english[1], (code, body)


def test_the_dutch_words_of_a_few_kinds() -> None:
    dutch = LANGUAGE_LIST.get("nl")
    assert notice_in_words(dutch, NoticeKind.STALE_SKILLS.value, SAMPLES[NoticeKind.STALE_SKILLS]) == (
        "Zijn uw vaardigheden nog actueel?",
        "2 van uw vaardigheden zijn voor het laatst bevestigd vóór 6 december 2025: Dashboards en SQL. "
        "Bevestig of werk ze bij.",
    )
    title, body = notice_in_words(dutch, NoticeKind.MENTORING_PAIRED.value, SAMPLES[NoticeKind.MENTORING_PAIRED]) or (
        "",
        "",
    )
    assert title == "Ben Bakker is uw mentor in Data mentoring"
    assert body == (
        "Ben Bakker wordt uw mentor in Data mentoring. Waarom u aan elkaar bent gekoppeld: "
        "U zit in dezelfde tijdzone; U spreekt allebei Engels en Nederlands."
    )


@pytest.mark.parametrize("stage", list(STAGE_NAMES))
def test_every_stage_and_release_status_has_words(stage: str) -> None:
    dutch = LANGUAGE_LIST.get("nl")
    data = {**SAMPLES[NoticeKind.APPLICATION_STAGE], "stage": stage}
    assert notice_in_words(dutch, NoticeKind.APPLICATION_STAGE.value, data) is not None
    for status in RELEASE_NAMES:
        data = {**SAMPLES[NoticeKind.RELEASE_ANSWERED], "status": status}
        assert notice_in_words(dutch, NoticeKind.RELEASE_ANSWERED.value, data) is not None


def test_stage_and_status_names_cover_the_marketplace() -> None:
    from backend.marketplace.models import ApplicationStage, ReleaseStatus

    assert set(STAGE_NAMES) == {stage.value for stage in ApplicationStage}
    assert set(RELEASE_NAMES) == {status.value for status in ReleaseStatus}


def test_an_unknown_kind_or_an_old_notice_is_not_written_and_a_producer_must_store_the_data() -> None:
    dutch = LANGUAGE_LIST.get("nl")
    assert notice_in_words(dutch, "test.note", {}) is None
    # Stored before the kinds named their data: only ids and the stage.
    assert notice_in_words(dutch, NoticeKind.APPLICATION_STAGE.value, {"stage": "offer"}) is None
    # A run written before statements: its reasons are English sentences only.
    old = {key: value for key, value in SAMPLES[NoticeKind.MENTORING_PAIRED].items() if key != "reason_statements"}
    assert notice_in_words(dutch, NoticeKind.MENTORING_PAIRED.value, old) is None
    # A stale-skill reminder of before `names`.
    reminder = {"skills": 1, "confirmed_before": "2025-12-06"}
    assert notice_in_words(dutch, NoticeKind.STALE_SKILLS.value, reminder) is None
    with pytest.raises(ValueError, match="opening_title"):
        check(NoticeKind.RELEASE_ANSWERED, {"status": "blocked"})
    check(NoticeKind.RELEASE_ANSWERED, SAMPLES[NoticeKind.RELEASE_ANSWERED])
    # Notes of kinds this code does not know are sent as they are (shown in English).
    check("test.note", {})
    assert dt.date.fromisoformat(SAMPLES[NoticeKind.STALE_SKILLS]["confirmed_before"])
