"""Request dependencies: settings, the current archive, JSON-only bodies and the reload key.

All are `async def` although none awaits: FastAPI would run plain `def` dependencies in its threadpool,
a thread hop per request for what is an attribute read.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request

from embed.archive import Archive
from embed.config import Settings

from .service import ServiceHolder

JSON_TYPES = ("application/json",)
"""Content types accepted for request bodies (plus any application/*+json)."""


async def get_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    return request.app.state.settings


async def get_holder(request: Request) -> ServiceHolder:
    """The holder of the current service (for reloads)."""
    return request.app.state.holder


async def get_archive(holder: Annotated[ServiceHolder, Depends(get_holder)]) -> Archive:
    """The archive for this request, taken once so that a reload mid-request cannot mix two indexes."""
    archive = holder.current
    if archive is None:
        raise HTTPException(status_code=503, detail="the index is not loaded yet")
    return archive


async def require_json(request: Request) -> None:
    """Reject bodies that are not declared as JSON with 415 (FastAPI alone would answer a vague 422)."""
    raw = request.headers.get("content-type", "")
    media = raw.split(";", 1)[0].strip().lower()
    if media not in JSON_TYPES and not (media.startswith("application/") and media.endswith("+json")):
        shown = media or "none"
        raise HTTPException(status_code=415, detail=f"Content-Type must be application/json, got {shown}")


async def require_api_key(
    settings: Annotated[Settings, Depends(get_settings)],
    x_api_key: Annotated[str | None, Header(description="the key in POLICYQA_API_KEY")] = None,
) -> None:
    """Admin endpoints are off without POLICYQA_API_KEY, and need that key in X-API-Key when it is set."""
    if not settings.api_key:
        raise HTTPException(status_code=403, detail="reload is disabled: POLICYQA_API_KEY is not set")
    # compare_digest: the time taken must not reveal how much of a guessed key was right.
    if x_api_key is None or not hmac.compare_digest(x_api_key.encode(), settings.api_key.encode()):
        raise HTTPException(status_code=401, detail="missing or wrong X-API-Key")


SettingsDep = Annotated[Settings, Depends(get_settings)]
HolderDep = Annotated[ServiceHolder, Depends(get_holder)]
ArchiveDep = Annotated[Archive, Depends(get_archive)]
