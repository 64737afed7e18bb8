"""The internal opportunity marketplace: openings (roles, gigs, projects, tenant-defined types), who
may see them, applications with their stages, confidential mobility and the manager release."""
