"""The job store: the one source of truth for state, progress and results (SQLite or PostgreSQL)."""
