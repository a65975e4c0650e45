"""Typed dependencies the routes share."""

from typing import Annotated

from celery import Celery
from fastapi import Depends, Header, Request

from service.auth import owner_of_key
from service.problems import Problem
from service.settings import ApiSettings
from store.dataset_store import DatasetStore
from store.job_store import JobStore


def _settings(request: Request) -> ApiSettings:
    return request.app.state.settings


def _job_store(request: Request) -> JobStore:
    return request.app.state.job_store


def _dataset_store(request: Request) -> DatasetStore:
    return request.app.state.dataset_store


def _celery(request: Request) -> Celery:
    return request.app.state.celery


SettingsDep = Annotated[ApiSettings, Depends(_settings)]
JobStoreDep = Annotated[JobStore, Depends(_job_store)]
DatasetStoreDep = Annotated[DatasetStore, Depends(_dataset_store)]
CeleryDep = Annotated[Celery, Depends(_celery)]


def _caller(
    settings: SettingsDep, authorization: Annotated[str | None, Header()] = None
) -> str | None:
    """The owner id of the calling key; None when authentication is off (everything visible)."""
    keys = settings.api_key_list
    if not keys:
        return None
    scheme, _, key = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or key.strip() not in keys:
        raise Problem(
            401,
            "Unauthorized",
            "Send 'Authorization: Bearer KEY' with one of the configured API keys.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return owner_of_key(key.strip())


CallerDep = Annotated[str | None, Depends(_caller)]
