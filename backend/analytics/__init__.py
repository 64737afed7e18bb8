"""Tenant analytics: internal mobility by month, the marketplace pipeline, skill gaps by department
and mentoring participation, each one set of SQL aggregations (definitions in docs/analytics.md)."""
