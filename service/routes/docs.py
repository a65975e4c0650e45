"""The interactive API docs and the OpenAPI schema, behind the same key as every other route
(the contract leaves only /healthz and /readyz open).

The pages load Swagger UI and ReDoc from this service, not from a CDN: an internal network
without internet still gets working docs. The assets are fastapi-offline's bundled copies.
"""

from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse

from service.deps import CallerDep
from service.problems import Problem

router = APIRouter(tags=["docs"], include_in_schema=False)

ASSETS = Path(fastapi_offline.__file__).parent / "static"
ASSET_NAMES = frozenset(
    {"swagger-ui-bundle.js", "swagger-ui.css", "redoc.standalone.js", "favicon.png"}
)


@router.get("/openapi.json")
def openapi_schema(request: Request, _caller: CallerDep) -> Any:
    return JSONResponse(request.app.openapi())


@router.get("/docs/assets/{name}")
def docs_asset(name: str, _caller: CallerDep) -> FileResponse:
    if name not in ASSET_NAMES:
        raise Problem(404, "Not found", f"No docs asset {name[:60]!r}.")
    return FileResponse(ASSETS / name, headers={"Cache-Control": "public, max-age=86400"})


@router.get("/docs")
def swagger_ui(request: Request, _caller: CallerDep) -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title=f"{request.app.title} – docs",
        swagger_js_url="/docs/assets/swagger-ui-bundle.js",
        swagger_css_url="/docs/assets/swagger-ui.css",
        swagger_favicon_url="/docs/assets/favicon.png",
    )


@router.get("/redoc")
def redoc(request: Request, _caller: CallerDep) -> HTMLResponse:
    return get_redoc_html(
        openapi_url="/openapi.json",
        title=f"{request.app.title} – ReDoc",
        redoc_js_url="/docs/assets/redoc.standalone.js",
        redoc_favicon_url="/docs/assets/favicon.png",
        with_google_fonts=False,
    )
