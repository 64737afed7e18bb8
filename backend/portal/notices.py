"""Notifications in the page's language: each known kind written from its kind and data
(backend/notifications/kinds.py names the data each kind's words need), never from the English title
and body its producer stored for the API. An unknown kind, or a notification stored before its kind
named its data, is shown as stored, marked English (`lang="en"`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, assert_never

from babel.lists import format_list

from backend.notifications.kinds import NoticeKind, has_words
from backend.notifications.models import Notification
from backend.portal.i18n import DEFAULT_LANGUAGE, N_, Language
from backend.portal.mentoring import reasons_in_words, waitlist_reason

# An application's stages and a release's statuses, as the board and the releases pages name them.
STAGE_NAMES = {
    "interested": N_("Interested"),
    "applied": N_("Applied"),
    "screening": N_("Screening"),
    "interview": N_("Interview"),
    "offer": N_("Offer"),
    "hired": N_("Hired"),
    "rejected": N_("Not selected"),
    "withdrawn": N_("Withdrawn"),
}
RELEASE_NAMES = {
    "pending": N_("Waiting for an answer"),
    "delayed": N_("Delayed"),
    "blocked": N_("Blocked"),
    "released": N_("Released"),
    "overridden": N_("Overridden by HR"),
    "lapsed": N_("Lapsed"),
    "cancelled": N_("Cancelled"),
}


@dataclass(frozen=True, slots=True)
class Shown:
    """A notification as the page shows it: its words, and their language when not the page's."""

    notification: Notification
    title: str
    body: str
    lang: str | None


def _named(language: Language, names: Mapping[str, str], value: str) -> str | None:
    return language.gettext(names[value]) if value in names else None


def notice_in_words(language: Language, kind: str, data: Mapping[str, Any]) -> tuple[str, str] | None:
    """A notification's title and body in the page's language, or None when the portal cannot write it
    (an unknown kind, data missing, a value it has no words for)."""
    known = has_words(kind, data)
    if known is None:
        return None
    gettext = language.gettext
    if known is NoticeKind.STALE_SKILLS:
        count = int(data["skills"])
        values = {
            "count": language.number(count),
            "date": language.date(dt.date.fromisoformat(data["confirmed_before"])),
            "names": format_list(list(data["names"]), locale=language.code),
        }
        body = language.ngettext(
            "%(count)s of your skills was last confirmed before %(date)s: %(names)s. Confirm or update it.",
            "%(count)s of your skills were last confirmed before %(date)s: %(names)s. Confirm or update them.",
            count,
        )
        return gettext("Are your skills still up to date?"), body % values
    if known is NoticeKind.APPLICATION_RECEIVED:
        values = {"name": data["applicant_name"], "opening": data["opening_title"]}
        if data["stage"] == "interested":
            return (
                gettext("%(name)s is interested in %(opening)s") % values,
                gettext("%(name)s is interested in your opening %(opening)s.") % values,
            )
        return (
            gettext("%(name)s applied to %(opening)s") % values,
            gettext("%(name)s applied to your opening %(opening)s.") % values,
        )
    if known is NoticeKind.APPLICATION_STAGE:
        stage = _named(language, STAGE_NAMES, data["stage"])
        if stage is None:
            return None
        values = {"opening": data["opening_title"], "stage": stage}
        body = gettext("Your application to %(opening)s moved to: %(stage)s.") % values
        if data.get("reason_shared"):
            # The hiring side's own words, as they wrote them.
            body += " " + gettext("The reason: %(reason)s") % {"reason": data["reason_shared"]}
        return gettext("Your application to %(opening)s: %(stage)s") % values, body
    if known is NoticeKind.REPORT_APPLIED:
        stage = _named(language, STAGE_NAMES, data["stage"])
        if stage is None:
            return None
        values = {"name": data["applicant_name"], "opening": data["opening_title"], "stage": stage}
        return (
            gettext("%(name)s applied to %(opening)s") % values,
            gettext("%(name)s, who reports to you, applied to the opening %(opening)s (now at: %(stage)s).") % values,
        )
    if known is NoticeKind.RELEASE_REQUESTED:
        values = {
            "name": data["applicant_name"],
            "opening": data["opening_title"],
            "date": language.date(dt.datetime.fromisoformat(data["deadline"]).date()),
        }
        return (
            gettext("Release %(name)s for %(opening)s?") % values,
            gettext(
                "%(name)s has an offer for %(opening)s. Release, delay or block the move by %(date)s; "
                "without an answer by then, the move may go ahead."
            )
            % values,
        )
    if known is NoticeKind.RELEASE_ANSWERED:
        status = _named(language, RELEASE_NAMES, data["status"])
        if status is None:
            return None
        values = {"opening": data["opening_title"], "status": status}
        return (
            gettext("Release for %(opening)s: %(status)s") % values,
            gettext("The release of an applicant to %(opening)s is now: %(status)s.") % values,
        )
    if known is NoticeKind.MENTORING_PAIRED:
        statements = data.get("reason_statements")
        if statements is None:
            return None
        reasons = reasons_in_words(
            language, {"sentences": data["reasons"].get("sentences", []), "statements": statements}
        )
        if any(lang is not None for _, lang in reasons):
            return None
        values = {
            "mentor": data["mentor_name"],
            "mentee": data["mentee_name"],
            "programme": data["programme_name"],
            "why": "; ".join(text for text, _ in reasons),
        }
        if data["role"] == "mentor":
            return (
                gettext("You are %(mentee)s's mentor in %(programme)s") % values,
                gettext(
                    "You will mentor %(mentee)s in %(programme)s. Why you were paired, as %(mentee)s reads it: %(why)s."
                )
                % values,
            )
        return (
            gettext("%(mentor)s is your mentor in %(programme)s") % values,
            gettext("%(mentor)s will mentor you in %(programme)s. Why you were paired: %(why)s.") % values,
        )
    if known is NoticeKind.MENTORING_WAITLISTED:
        reason, translated = waitlist_reason(language, data["reason"])
        if not translated:
            return None
        values = {
            "programme": data["programme_name"],
            "position": language.number(int(data["position"])),
            "reason": reason,
        }
        return (
            gettext("No mentor yet in %(programme)s") % values,
            gettext("You are number %(position)s on the waitlist of %(programme)s. Why: %(reason)s.") % values,
        )
    if known is NoticeKind.MENTORING_PAIRING_ENDED:
        values = {"name": data["other_name"], "programme": data["programme_name"]}
        body = gettext("Your pairing with %(name)s in %(programme)s has ended.") % values
        if data.get("reason"):
            # The words of the person who ended it, as they wrote them.
            body += " " + gettext("Reason: %(reason)s.") % {"reason": data["reason"]}
        return gettext("Your mentoring with %(name)s has ended") % values, body
    assert_never(known)


def shown(language: Language, notifications: Sequence[Notification]) -> list[Shown]:
    """The page's notifications in its language; those it cannot write, as stored (English)."""
    rows = []
    for notification in notifications:
        words = notice_in_words(language, notification.kind, notification.data or {})
        if words is None:
            rows.append(Shown(notification, notification.title, notification.body, DEFAULT_LANGUAGE))
        else:
            rows.append(Shown(notification, words[0], words[1], None))
    return rows
