"""Bearer API keys, the owner a key maps to, and signed expiring tokens for browser links."""

import hashlib
import hmac
import time

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


def verify_link(settings: ApiSettings, job_id: str, owner: str, token: str) -> bool:
    try:
        expires_s, sig = token.split(".", 1)
        expires = int(expires_s)
    except ValueError:
        return False
    if expires < time.time():
        return False
    msg = f"{job_id}.{owner}.{expires}".encode()
    good = hmac.new(_secret(settings), msg, hashlib.sha256).hexdigest()[:32]
    return hmac.compare_digest(good, sig)
