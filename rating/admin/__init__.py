"""Admin side: accounts, roles, sessions, CSRF, API tokens, the case pages, CLI commands."""
