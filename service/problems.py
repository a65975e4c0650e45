"""RFC 9457 problem+json for every error the API answers."""

import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from schemas.job_spec import SCHEDULE_TYPES, SpecFieldError

PROBLEM_JSON = "application/problem+json"
_MAX_MESSAGE = 240
# A body with 100,000 bad list items gets the first few errors and a count, not 100,000.
MAX_ERRORS = 20


class ErrorItem(BaseModel):
    loc: list[str | int] = Field(description="Path of the field at fault, from the body's root.")
    field: str = Field(description="The same path, dotted: callbacks.early_stopping.monitor.")
    msg: str = Field(description="What is wrong and what to send instead.")
    type: str = Field(description="A stable error kind, e.g. value_error, json_invalid.")


class ProblemDetail(BaseModel):
    """RFC 9457 problem document: every error this API answers has this shape."""

    type: str
    title: str
    status: int
    detail: str = Field(description="One sentence naming the cause and the fix.")
    errors: list[ErrorItem] | None = Field(None, description="422 only: each invalid field.")
    errors_total: int | None = Field(None, description="422 only: errors before the cap of 20.")


def _problem_doc(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "model": ProblemDetail,
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/ProblemDetail"}}},
    }


# Documented on every route; replaces FastAPI's own 422 schema, which this API never sends.
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: _problem_doc("Missing or unknown API key (when API_KEYS is set)."),
    404: _problem_doc("No such job or dataset visible to this caller."),
    409: _problem_doc("The job is in a state that does not allow this (the problem names it)."),
    413: _problem_doc("The body is over MAX_REQUEST_BYTES (uploads: MAX_UPLOAD_BYTES)."),
    415: _problem_doc("The body is not UTF-8 JSON sent as application/json."),
    422: _problem_doc("The request is not valid: errors[] names each field and the fix."),
}


class Problem(Exception):
    """Raise from a route to answer with a problem document."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.headers = headers
        self.extra = extra


def field_problem(
    status: int, title: str, loc: list[str | int], msg: str, error_type: str
) -> Problem:
    """A problem about one named input, with the same errors[] entry a spec error has."""
    field = _dotted(loc)
    return Problem(
        status,
        title,
        f"{field}: {msg}",
        errors=[{"loc": loc, "field": field, "msg": msg, "type": error_type}],
    )


def problem_response(
    status: int, title: str, detail: str, *, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    body = {
        "type": f"https://httpstatuses.io/{status}",
        "title": title,
        "status": status,
        "detail": detail,
    }
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _short(text: str) -> str:
    return text if len(text) <= _MAX_MESSAGE else text[:_MAX_MESSAGE] + "…"


def _loc(loc: tuple[Any, ...] | list[Any]) -> list[str | int]:
    # FastAPI prefixes the body's fields with "body"; callers know the spec's own field names.
    # A misspelt key is part of the location: echo only its prefix.
    parts = [p for p in loc if p != "body"]
    return [p if isinstance(p, int) else _prefix(str(p)) for p in parts]


def _prefix(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _dotted(loc: list[str | int]) -> str:
    out = ""
    for p in loc:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else p)
    return out or "body"


# pydantic names the branch of a union it tried in the location ("float", "literal['auto']",
# "dict[str,constrained-int]"); callers know only the field.
_UNION_BRANCH = re.compile(r"^(float|int|str|bool|none|[a-z-]+\[.*\]|constrained-.*)$")


def _merge_union_branches(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per field that failed every branch of a union: the deepest branch error if
    one got further (a bad value inside the map), else "one of the branches" in one message."""
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    order: list[tuple[Any, ...]] = []
    for e in errors:
        key = tuple(e["loc"])
        if e.pop("_branch", False):
            key = ("union", *e["loc"][: e.pop("_branch_at")])
        if key not in groups:
            order.append(key)
        groups.setdefault(key, []).append(e)
    out = []
    for key in order:
        group = groups[key]
        if key[:1] != ("union",) or len(group) == 1:
            out.extend(group)
            continue
        deepest = max(len(e["loc"]) for e in group)
        best = [e for e in group if len(e["loc"]) == deepest]
        if deepest > len(key) - 1:
            out.extend(best)
            continue
        msgs = list(dict.fromkeys(e["msg"].removeprefix("Input should be ") for e in group))
        merged = dict(group[0], msg="Input should be " + ", or ".join(msgs), type="union_error")
        out.append(merged)
    return out


def validation_errors(errors: list[Any]) -> list[dict[str, Any]]:
    out = []
    for e in errors:
        raw_loc = [p for p in e.get("loc", ()) if p != "body"]
        branch_at = next(
            (i for i, p in enumerate(raw_loc) if isinstance(p, str) and _UNION_BRANCH.match(p)),
            None,
        )
        if branch_at is not None:
            raw_loc = raw_loc[:branch_at] + raw_loc[branch_at + 1 :]
        # a discriminated union names the variant it tried: lr_schedule.step.factor
        raw_loc = [
            p
            for i, p in enumerate(raw_loc)
            if not (i > 0 and raw_loc[i - 1] == "lr_schedule" and p in SCHEDULE_TYPES)
        ]
        blamed = (e.get("ctx") or {}).get("error")
        if isinstance(blamed, SpecFieldError):
            raw_loc += blamed.field.split(".")
        loc = _loc(raw_loc)
        msg = _short(str(e.get("msg", "invalid value")).removeprefix("Value error, "))
        if e.get("type") == "union_tag_not_found":
            loc = [*loc, "type"]
            msg = f"type is required; one of {', '.join(SCHEDULE_TYPES)}."
            if raw_loc[-1:] != ["lr_schedule"]:
                msg = "type is required: it selects the variant."
        elif e.get("type") == "union_tag_invalid":
            loc = [*loc, "type"]
        if e.get("type") == "json_invalid":
            reason = (e.get("ctx") or {}).get("error", "")
            msg = f"The body is not valid JSON ({_prefix(str(reason), 120)}); send a JSON object."
            loc = []
        entry: dict[str, Any] = {
            "loc": loc,
            "field": _dotted(loc),
            "msg": msg,
            "type": e.get("type", "value_error"),
        }
        if branch_at is not None:
            entry.update(_branch=True, _branch_at=branch_at)
        out.append(entry)
    return _merge_union_branches(out)


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(_: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc.status, exc.title, exc.detail, headers=exc.headers, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        all_errors = validation_errors(list(exc.errors()))
        errors = all_errors[:MAX_ERRORS]
        first = errors[0] if errors else {"field": "body", "msg": "invalid request"}
        more = f" (and {len(all_errors) - 1} more)" if len(all_errors) > 1 else ""
        return problem_response(
            422,
            "The request is not valid",
            f"{first['field']}: {first['msg']}{more}",
            errors=errors,
            errors_total=len(all_errors),
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and exc.detail == "There was an error parsing the body":
            # FastAPI's answer when json.loads fails other than by a syntax error: in practice
            # a document nested too deeply (UTF-8 is checked before, in BodyGuard)
            msg = "The body could not be parsed as JSON: it nests deeper than the parser allows."
            return problem_response(
                422,
                "The request is not valid",
                msg,
                errors=[{"loc": [], "field": "body", "msg": msg, "type": "json_invalid"}],
            )
        titles = {404: "Not found", 405: "Method not allowed", 401: "Unauthorized"}
        return problem_response(
            exc.status_code,
            titles.get(exc.status_code, "HTTP error"),
            str(exc.detail),
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        return problem_response(
            500,
            "Internal error",
            f"{type(exc).__name__}: the server could not handle this request.",
        )
