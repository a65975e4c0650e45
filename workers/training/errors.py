"""The one exception the pipeline raises on purpose: a job failure with a code, message and hint."""

from typing import Any


class JobFailure(Exception):
    """A failure the caller can act on; it ends the job `failed` with this error."""

    def __init__(self, code: str, message: str, hint: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint
        self.details = details
        # Findings known when it failed (a diverged run's history, say), kept in the status.
        self.findings: list[dict[str, Any]] = []

    def as_error(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "hint": self.hint,
            "details": self.details,
        }
