"""Access for links meant for a browser: a bearer key, or the link's own signed token."""

from typing import Annotated

from fastapi import Depends, Header, Query

from service.auth import check_link, owner_of_key
from service.deps import JobStoreDep, SettingsDep
from service.problems import Problem
from store.tables import JobRow


def _job_for_link(
    job_id: str,
    settings: SettingsDep,
    store: JobStoreDep,
    authorization: Annotated[str | None, Header()] = None,
    token: Annotated[str | None, Query(max_length=200)] = None,
) -> JobRow:
    job = store.get(job_id)
    keys = settings.api_key_list
    if keys:
        scheme, _, key = (authorization or "").partition(" ")
        by_key = (
            scheme.lower() == "bearer"
            and key.strip() in keys
            and job is not None
            and job.owner == owner_of_key(key.strip())
        )
        link = (
            check_link(settings, job.id, job.owner, token)
            if job is not None and token is not None
            else "invalid"
        )
        if link == "expired" and not by_key:
            raise Problem(
                401,
                "Link expired",
                "This link has expired; fetch the job's status again for fresh links.",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if not (by_key or link == "valid"):
            if job is None or authorization or token:
                # Do not reveal whether a job exists to a caller who may not see it.
                raise Problem(
                    404,
                    "Job not found",
                    f"No job with id {job_id[:64]!r} is visible to this caller.",
                )
            raise Problem(
                401,
                "Unauthorized",
                "Send 'Authorization: Bearer KEY', or use the link from the job's status.",
                headers={"WWW-Authenticate": "Bearer"},
            )
    if job is None:
        raise Problem(404, "Job not found", f"No job with id {job_id[:64]!r}.")
    return job


LinkedJobDep = Annotated[JobRow, Depends(_job_for_link)]
