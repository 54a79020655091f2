"""The HTTP paths of CONTRACT.md: thin handlers that validate, call the service, and shape the reply.

Handlers that touch the model or FAISS are plain `def`: FastAPI runs them in its threadpool, which keeps
the event loop free while they compute. Only /healthz, which just reads two counts, is `async`.
"""

from __future__ import annotations

import re
import time
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query
from pydantic import AfterValidator

from embed.errors import PolicyQAError

from .deps import HolderDep, ServiceDep, require_api_key, require_json
from .schemas import (
    NON_BLANK_SCHEMA,
    QUESTION_MAX_CHARS,
    TOP_K_MAX,
    ArticleItem,
    ArticleList,
    ArticleOut,
    AskRequest,
    AskResponse,
    ErrorOut,
    HealthOut,
    PassageOut,
    ReloadOut,
    SearchResponse,
    SummarizeRequest,
    SummarizeResponse,
    not_blank,
)

ARTICLE_ID_MAX_CHARS = 256
PATH_TRICK = re.compile(r"(^|/)\.\.?(/|$)|\\|^/|[\x00-\x1f\x7f]")
"""Ids that look like file paths reaching elsewhere ("../", "./", "\\", a leading "/", control bytes)."""

NOTHING_TO_SUMMARIZE = "text: nothing to summarize after cleaning (only credits, captions or promotion lines)"

ERRORS = {code: {"model": ErrorOut} for code in (400, 404, 413, 415, 422, 500, 503)}

router = APIRouter(responses=ERRORS)


def _ms_since(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 2)


@router.post("/api/ask", dependencies=[Depends(require_json)], tags=["qa"])
def ask(body: AskRequest, service: ServiceDep) -> AskResponse:
    """Extractive answer: sentences copied from the retrieved passages, each citing its passage."""
    start = time.perf_counter()
    answer = service.ask(body.question, body.top_k)
    return AskResponse.from_answer(answer, took_ms=_ms_since(start))


@router.get("/api/search", tags=["qa"])
def search(
    service: ServiceDep,
    q: Annotated[
        str,
        Query(min_length=1, max_length=QUESTION_MAX_CHARS, json_schema_extra=NON_BLANK_SCHEMA),
        AfterValidator(not_blank),  # after the length checks, so that each error reads plainly
    ],
    top_k: Annotated[int, Query(ge=1, le=TOP_K_MAX)] = 5,
) -> SearchResponse:
    """The best passages for a query, without an answer."""
    start = time.perf_counter()
    hits = service.search(q, top_k)
    return SearchResponse(query=q, passages=[PassageOut.from_hit(h) for h in hits], took_ms=_ms_since(start))


@router.post("/api/summarize", dependencies=[Depends(require_json)], tags=["summaries"])
def summarize(body: SummarizeRequest, service: ServiceDep) -> SummarizeResponse:
    """Extractive summary of any text, cleaned as indexing cleans a page: whole sentences, plus keywords."""
    summary = service.summarize(body.text, body.max_chars)
    if not summary.sentences:
        raise HTTPException(status_code=422, detail=NOTHING_TO_SUMMARIZE)
    return SummarizeResponse.from_summary(summary)


@router.get("/api/articles", tags=["articles"])
def list_articles(
    service: ServiceDep,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> ArticleList:
    """One page of the indexed articles."""
    total, articles = service.articles(offset, limit)
    return ArticleList(total=total, items=[ArticleItem.from_article(a) for a in articles])


@router.get("/api/articles/{article_id:path}", tags=["articles"])
def get_article(
    service: ServiceDep,
    article_id: Annotated[str, Path(min_length=1, max_length=ARTICLE_ID_MAX_CHARS)],
) -> ArticleOut:
    """One whole article with its summary (ids contain '#': send it as %23)."""
    if article_id not in service.index.articles and PATH_TRICK.search(article_id):
        raise HTTPException(status_code=400, detail="invalid article id: it looks like a file path")
    article, summary = service.article(article_id)
    return ArticleOut.from_article(article, summary)


@router.post(
    "/api/reload",
    dependencies=[Depends(require_api_key)],
    responses={code: {"model": ErrorOut} for code in (401, 403, 409)},
    tags=["admin"],
)
def reload(holder: HolderDep) -> ReloadOut:
    """Load the index on disk again (after `policyqa index`) and swap it in; requests in flight finish."""
    start = time.perf_counter()
    try:
        fresh = holder.reload()
    except (PolicyQAError, OSError) as exc:
        raise HTTPException(
            status_code=503, detail=f"reload failed, still serving the previous index: {exc}"
        ) from exc
    if fresh is None:
        raise HTTPException(status_code=409, detail="a reload is already running")
    articles, chunks = fresh.counts()
    return ReloadOut(
        status="reloaded", articles=articles, chunks=chunks, model=fresh.model_name, took_ms=_ms_since(start)
    )


@router.get("/healthz", tags=["admin"])
async def healthz(service: ServiceDep) -> HealthOut:
    """Liveness and what is loaded."""
    articles, chunks = service.counts()
    return HealthOut(status="ok", articles=articles, chunks=chunks, model=service.model_name)
