"""The dashboard's charts, rendered on the server as SVG (pygal) from the analytics service's answers:
no script runs in the consultant's browser and nothing is fetched from elsewhere. Their value axes are
the portal's (`backend.analytics.axes`): whole numbers for counts, rates scaled to the data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pygal
from markupsafe import Markup
from pygal.style import Style

from admin.i18n import gettext as _
from backend.analytics.axes import count_axis, rate_axis
from backend.analytics.schemas import MentoringParticipation, MobilitySeries, Pipeline, SkillGaps

# Tabler's palette, so that the charts look like the rest of the console.
STYLE = Style(
    background="transparent",
    plot_background="transparent",
    foreground="#1d273b",
    foreground_strong="#1d273b",
    foreground_subtle="#616876",
    colors=("#206bc4", "#2fb344", "#f76707", "#d63939", "#ae3ec9", "#17a2b8"),
    font_family="-apple-system, BlinkMacSystemFont, 'Segoe UI', Roboto, sans-serif",
)


@dataclass(frozen=True)
class Chart:
    title: str
    svg: Markup


def _without_scripts(svg: Any) -> Any:
    """pygal writes its configuration into every chart as an inline <script>, for its interactive
    tooltips (whose script we do not load): the console's Content-Security-Policy refuses inline
    scripts, so the charts carry none."""
    for parent in list(svg.iter()):
        for child in list(parent):
            if isinstance(child.tag, str) and child.tag.rsplit("}", 1)[-1] == "script":
                parent.remove(child)
    return svg


def _config(chart: pygal.graph.graph.Graph) -> pygal.graph.graph.Graph:
    chart.config.js = []
    chart.add_xml_filter(_without_scripts)
    chart.config.disable_xml_declaration = True
    chart.config.height = 300
    chart.config.legend_at_bottom = True
    return chart


def _svg(chart: pygal.graph.graph.Graph) -> Markup:
    # pygal escapes the labels and values it writes into the SVG.
    return Markup(chart.render(is_unicode=True))  # noqa: S704


def _counts(*values: float) -> dict[str, Any]:
    """A count axis's range and ticks (whole numbers) for pygal."""
    ticks = count_axis(max(values, default=0)).ticks
    return {"range": (0, ticks[-1]), "y_labels": list(ticks)}


def mobility_chart(series: MobilitySeries) -> Chart:
    rates = [p.mobility_rate for p in series.points] + [p.internal_fill_rate or 0 for p in series.points]
    ticks = [round(100 * t, 2) for t in rate_axis(max(rates, default=0)).ticks]
    chart = _config(pygal.Line(style=STYLE, range=(0, ticks[-1]), y_labels=ticks, y_title="%", show_dots=True))
    chart.x_labels = [p.month.strftime("%b %Y") for p in series.points]
    chart.add(_("Internal mobility rate"), [round(100 * p.mobility_rate, 2) for p in series.points])
    chart.add(
        _("Internal fill rate"),
        [None if p.internal_fill_rate is None else round(100 * p.internal_fill_rate, 1) for p in series.points],
    )
    return Chart(_("Internal mobility and fill rate by month"), _svg(chart))


def pipeline_charts(pipeline: Pipeline) -> list[Chart]:
    kinds = _config(pygal.Bar(style=STYLE, **_counts(*(max(k.opportunities, k.positions) for k in pipeline.by_kind))))
    kinds.x_labels = [k.name for k in pipeline.by_kind]
    kinds.add(_("Open opportunities"), [k.opportunities for k in pipeline.by_kind])
    kinds.add(_("Open positions"), [k.positions for k in pipeline.by_kind])
    stages = _config(pygal.HorizontalBar(style=STYLE, **_counts(*(s.applications for s in pipeline.by_stage))))
    stages.x_labels = [s.stage.value for s in pipeline.by_stage]
    stages.add(_("Applications"), [s.applications for s in pipeline.by_stage])
    return [Chart(_("Open opportunities by kind"), _svg(kinds)), Chart(_("Applications by stage"), _svg(stages))]


def skill_gap_chart(gaps: SkillGaps) -> Chart:
    departments = gaps.departments[:8]
    chart = _config(pygal.StackedBar(style=STYLE, **_counts(*(d.demand for d in departments))))
    chart.x_labels = [d.name for d in departments]
    chart.add(_("Covered by people in the department"), [d.demand - d.gap for d in departments])
    chart.add(_("Gap"), [d.gap for d in departments])
    return Chart(_("Demand of open roles vs supply in profiles, by department"), _svg(chart))


def mentoring_chart(mentoring: MentoringParticipation) -> Chart:
    chart = _config(
        pygal.Bar(
            style=STYLE,
            **_counts(*(max(p.mentors, p.mentees, p.waiting_requests) for p in mentoring.programmes)),
        )
    )
    chart.x_labels = [p.name for p in mentoring.programmes]
    chart.add(_("Mentors"), [p.mentors for p in mentoring.programmes])
    chart.add(_("Mentees"), [p.mentees for p in mentoring.programmes])
    chart.add(_("Waiting"), [p.waiting_requests for p in mentoring.programmes])
    return Chart(_("Mentoring participation by programme"), _svg(chart))


def dashboard_charts(
    mobility: MobilitySeries, pipeline: Pipeline, gaps: SkillGaps, mentoring: MentoringParticipation
) -> list[Chart]:
    return [mobility_chart(mobility), *pipeline_charts(pipeline), skill_gap_chart(gaps), mentoring_chart(mentoring)]
