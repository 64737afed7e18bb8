"""The portal: the pages employees and managers use in the browser, behind their company's SSO.

An entry point like the console: backend/app.py mounts its routers (`backend.portal.site`). Its pages
call the domain services with the same `Principal` and scopes as the API; see docs/portal.md.
"""
