"""People: sign-in sessions, residents' own accounts, staff accounts and departments."""
