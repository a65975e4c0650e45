"""Checks on JSON request bodies before any route reads them: size, media type, encoding.

Uploads (/v1/datasets) stream to disk under their own limit and are left alone. Everything
else that carries a body is a JSON document, buffered by FastAPI anyway: past the limit it is
refused with 413 instead of being parsed into memory.
"""

import re
from collections.abc import Collection

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.problems import problem_response

UPLOAD_PREFIX = "/v1/datasets"
BODY_METHODS = {"POST", "PUT", "PATCH"}
# The routes that read a JSON document; others (cancel, say) take no body to check.
JSON_ROUTES = re.compile(r"^/v1/jobs/?$|^/v1/jobs/[^/]+/predict/?$")


def _media_type(headers: dict[bytes, bytes]) -> tuple[str, str | None]:
    raw = headers.get(b"content-type", b"").decode("latin-1")
    media, _, params = raw.partition(";")
    charset = None
    for param in params.split(";"):
        key, _, value = param.strip().partition("=")
        if key.lower() == "charset":
            charset = value.strip().strip('"').lower()
    return media.strip().lower(), charset


class BodyGuard:
    def __init__(self, app: ASGIApp, *, max_bytes: int, api_keys: Collection[str] = ()) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.api_keys = frozenset(api_keys)

    def _unauthorized(self, headers: dict[bytes, bytes]) -> bool:
        """Without a valid key the route answers 401 before it reads anything: checking the
        body's form first would tell a stranger more than that."""
        if not self.api_keys:
            return False
        scheme, _, key = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
        return scheme.lower() != "bearer" or key.strip() not in self.api_keys

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in BODY_METHODS
            or scope["path"].startswith(UPLOAD_PREFIX)
        ):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large()(scope, receive, send)
            return
        body = b""
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.max_bytes:
                await self._too_large()(scope, receive, send)
                return
        checked = (
            scope["method"] == "POST"
            and JSON_ROUTES.match(scope["path"]) is not None
            and not self._unauthorized(headers)
            # no body and no type: the route's own 422 ("body: Field required") says it best
            and bool(body or b"content-type" in headers)
        )
        refusal = self._check(headers, body) if checked else None
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    def _too_large(self) -> JSONResponse:
        return problem_response(
            413,
            "Request body too large",
            f"The body is larger than {self.max_bytes} bytes (MAX_REQUEST_BYTES). Send fewer "
            "rows per predict call; upload data files with POST /v1/datasets.",
        )

    @staticmethod
    def _check(headers: dict[bytes, bytes], body: bytes) -> JSONResponse | None:
        encoding = headers.get(b"content-encoding", b"identity").decode("latin-1").lower()
        if encoding not in ("", "identity"):
            return problem_response(
                415,
                "Unsupported content encoding",
                f"Content-Encoding {encoding[:30]!r} is not accepted; send the JSON uncompressed.",
            )
        media, charset = _media_type(headers)
        if media != "application/json" and not media.endswith("+json"):
            shown = media[:60] or "none"
            return problem_response(
                415,
                "Unsupported media type",
                f"The body is sent as {shown!r}; send JSON with Content-Type: application/json.",
            )
        if charset not in (None, "utf-8", "utf8"):
            return problem_response(
                415,
                "Unsupported media type",
                f"charset={charset[:30]!r} is not accepted; JSON bodies are UTF-8.",
            )
        try:
            body.decode("utf-8")
        except UnicodeDecodeError as exc:
            msg = f"The body is not UTF-8 text (byte {exc.start}); send UTF-8 JSON."
            return problem_response(
                422,
                "The request is not valid",
                msg,
                errors=[{"loc": [], "field": "body", "msg": msg, "type": "json_invalid"}],
            )
        return None
