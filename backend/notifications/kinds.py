"""The kinds of notification, and the data each one's words are written from: the one table of them.

A producer stores a notification's English `title` and `body` (what the API serves, for a program)
beside its `kind` and `data`; a page in another language writes the notice from the kind and the data
(backend/portal/notices.py, `notice_in_words`), never from the English sentences. So each kind names
here the keys of `data` its words need (`WORDS`), and `NotificationService.send`/`send_once` refuse a
notice of a kind without them (a producer's mistake, caught by its tests). The nightly reminder is
written by one SQL statement (`remind_stale_skills`), which stores the same keys.

The kinds, who gets them, and the data their words need (besides ids):
- `skills.stale`: to an employee with skills not confirmed for a long time: `skills` (how many),
  `confirmed_before` (ISO date), `names` (up to five of the skills' labels);
- `marketplace.application_received`: to a hiring manager, a new applicant or interest:
  `applicant_name`, `opening_title`, `stage` (applied or interested);
- `marketplace.application_stage`: to an applicant, their application moved: `opening_title`,
  `stage` (the new one); `reason_shared` when the hiring side told them why (their own words);
- `marketplace.report_applied`: to an applicant's manager, at the policy's moment: `applicant_name`,
  `opening_title`, `stage`;
- `marketplace.release_requested`: to an applicant's manager, at offer: `applicant_name`,
  `opening_title`, `deadline` (ISO moment);
- `marketplace.release_answered`: to the hiring manager, the manager's answer: `opening_title`,
  `status` (the release's);
- `mentoring.paired`: to both members of a published pair: `role` (mentor or mentee), `mentor_name`,
  `mentee_name`, `programme_name`, `reasons` (the API's factors and sentences) and `reason_statements`
  (backend/mentoring/reasons.py; absent for a run written before statements);
- `mentoring.waitlisted`: to a waitlisted mentee: `programme_name`, `position`, `reason` (the run's
  words for `reason_code`);
- `mentoring.pairing_ended`: to the members of an ended pairing but the one who ended it: `other_name`,
  `programme_name`; `reason` when one was given (the words of the person who ended it).

A new kind is a new member here with its keys (mypy then makes the portal write it, and
tests/notifications/test_notice_words.py asks for its words in every language of the portal).
Notifications stored before a kind named its keys lack them: the portal shows those as stored, in English.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any


class NoticeKind(StrEnum):
    STALE_SKILLS = "skills.stale"
    APPLICATION_RECEIVED = "marketplace.application_received"
    APPLICATION_STAGE = "marketplace.application_stage"
    REPORT_APPLIED = "marketplace.report_applied"
    RELEASE_REQUESTED = "marketplace.release_requested"
    RELEASE_ANSWERED = "marketplace.release_answered"
    MENTORING_PAIRED = "mentoring.paired"
    MENTORING_WAITLISTED = "mentoring.waitlisted"
    MENTORING_PAIRING_ENDED = "mentoring.pairing_ended"


# The keys of `data` each kind's words need (optional ones, such as a reason, are not listed).
WORDS: dict[NoticeKind, frozenset[str]] = {
    NoticeKind.STALE_SKILLS: frozenset({"skills", "confirmed_before", "names"}),
    NoticeKind.APPLICATION_RECEIVED: frozenset({"applicant_name", "opening_title", "stage"}),
    NoticeKind.APPLICATION_STAGE: frozenset({"opening_title", "stage"}),
    NoticeKind.REPORT_APPLIED: frozenset({"applicant_name", "opening_title", "stage"}),
    NoticeKind.RELEASE_REQUESTED: frozenset({"applicant_name", "opening_title", "deadline"}),
    NoticeKind.RELEASE_ANSWERED: frozenset({"opening_title", "status"}),
    NoticeKind.MENTORING_PAIRED: frozenset({"role", "mentor_name", "mentee_name", "programme_name", "reasons"}),
    NoticeKind.MENTORING_WAITLISTED: frozenset({"programme_name", "position", "reason"}),
    NoticeKind.MENTORING_PAIRING_ENDED: frozenset({"other_name", "programme_name"}),
}


def kind_of(kind: str) -> NoticeKind | None:
    """A stored kind as a known one, or None (a kind this code does not know)."""
    try:
        return NoticeKind(kind)
    except ValueError:
        return None


def has_words(kind: str, data: Mapping[str, Any]) -> NoticeKind | None:
    """The kind when `data` holds everything its words need, else None (an unknown kind, an old notice)."""
    known = kind_of(kind)
    return known if known is not None and WORDS[known] <= data.keys() else None


def check(kind: str, data: Mapping[str, Any]) -> None:
    """Refuses a notice of a known kind without the data its words need: a producer's mistake. (A kind
    not listed here is never written by the portal, only shown as stored: tests send such notes.)"""
    known = kind_of(kind)
    missing = WORDS[known] - data.keys() if known is not None else frozenset()
    if missing:
        raise ValueError(f"a {kind} notice needs {', '.join(sorted(missing))} in its data")
