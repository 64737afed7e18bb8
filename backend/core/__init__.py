"""The core between the tenancy kernel (`tenants/`) and the domains: what every entry point and every
domain shares (the unit of work, the job machinery, the change log)."""
