"""The demo county (望江县) that ``carenet demo`` builds: orgs, staff, children, families."""
