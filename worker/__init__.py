"""Background jobs (Dramatiq): broker set-up, the tenant-pinning middleware and thin actors.

Arrives with the background-jobs issue; actors will receive ids, pin a session to the tenant named
in the message options with `tenants.sessions.Database.tenant_session`, and call domain services.
"""
