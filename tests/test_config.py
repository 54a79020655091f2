"""Settings: defaults, POLICYQA_* variables, and the checks that refuse impossible values."""

from __future__ import annotations

import os

import pytest

from embed.config import Settings, usable_cores
from embed.errors import BadInputError


def test_worker_threads_default_to_twice_the_usable_cores():
    if hasattr(os, "sched_getaffinity"):
        assert usable_cores() == len(os.sched_getaffinity(0))
    assert Settings().worker_threads() == 2 * usable_cores()
    assert Settings(serve_threads=3).worker_threads() == 3


def test_serve_threads_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("POLICYQA_SERVE_THREADS", "6")
    assert Settings.from_env().worker_threads() == 6
    monkeypatch.setenv("POLICYQA_SERVE_THREADS", "many")
    with pytest.raises(BadInputError, match="POLICYQA_SERVE_THREADS must be an integer"):
        Settings.from_env()


def test_a_negative_thread_count_is_refused():
    with pytest.raises(BadInputError, match="serve_threads"):
        Settings(serve_threads=-1)
