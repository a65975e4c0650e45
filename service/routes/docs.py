"""The interactive API docs and the OpenAPI schema, behind the same key as every other route
(the contract leaves only /healthz and /readyz open)."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse

from service.deps import CallerDep

router = APIRouter(tags=["docs"], include_in_schema=False)


@router.get("/openapi.json")
def openapi_schema(request: Request, _caller: CallerDep) -> Any:
    return JSONResponse(request.app.openapi())


@router.get("/docs")
def swagger_ui(request: Request, _caller: CallerDep) -> HTMLResponse:
    return get_swagger_ui_html(openapi_url="/openapi.json", title=f"{request.app.title} – docs")


@router.get("/redoc")
def redoc(request: Request, _caller: CallerDep) -> HTMLResponse:
    return get_redoc_html(openapi_url="/openapi.json", title=f"{request.app.title} – ReDoc")
