"""Bearer API keys, the owner a key maps to, and signed expiring tokens for browser links."""

import hashlib
import hmac
import time
from typing import Literal

from service.settings import ApiSettings


def owner_of_key(key: str) -> str:
    # The store keeps a hash, so a leaked database does not leak keys.
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _secret(settings: ApiSettings) -> bytes:
    base = settings.link_token_secret or ("link:" + settings.api_keys)
    return hashlib.sha256(base.encode()).digest()


def sign_link(settings: ApiSettings, job_id: str, owner: str, *, now: float | None = None) -> str:
    expires = int((now or time.time()) + settings.link_token_ttl_seconds)
    msg = f"{job_id}.{owner}.{expires}".encode()
    sig = hmac.new(_secret(settings), msg, hashlib.sha256).hexdigest()[:32]
    return f"{expires}.{sig}"


LinkCheck = Literal["valid", "expired", "invalid"]


def check_link(settings: ApiSettings, job_id: str, owner: str, token: str) -> LinkCheck:
    """A link signed for this job and owner is valid until it expires; only a genuine one can
    be told apart as expired."""
    try:
        expires_s, sig = token.split(".", 1)
        expires = int(expires_s)
    except ValueError:
        return "invalid"
    msg = f"{job_id}.{owner}.{expires}".encode()
    good = hmac.new(_secret(settings), msg, hashlib.sha256).hexdigest()[:32]
    if not hmac.compare_digest(good, sig):
        return "invalid"
    return "valid" if expires >= time.time() else "expired"
