"""The consultants' console (SQLAdmin), mounted in the same ASGI app.

Arrives with the console issue; the tenancy kernel (`tenants`) and the domain services (`backend`)
it will use are in place, so the console edits data through the same services as the API.
"""
