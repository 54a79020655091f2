"""The HTTP side of serving an archive: the current `Archive`, and an atomic swap on reload."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from embed.archive import Archive
from embed.config import Settings

log = logging.getLogger(__name__)


Loader = Callable[[Settings], Archive]


def preloaded_loader(first: Archive, then: Loader = Archive.load) -> Loader:
    """Serve `first` at start-up (its index is already loaded), then load from disk on every reload."""
    pending = [first]

    def load(settings: Settings) -> Archive:
        return pending.pop() if pending else then(settings)

    return load


class ServiceHolder:
    """Holds the current `Archive`; `reload` builds a new one beside it and swaps the reference.

    Readers take `holder.current` once per request (a plain attribute read, atomic), so requests in
    flight finish on the service they started with and nobody waits while a new index loads.
    """

    def __init__(self, settings: Settings, loader: Loader = Archive.load) -> None:
        self.settings = settings
        self._loader = loader
        self._current: Archive | None = None
        self._reload_lock = threading.Lock()

    @property
    def current(self) -> Archive | None:
        """The service answering new requests (None before startup finished)."""
        return self._current

    def load(self) -> Archive:
        """Load the index and make it current (startup)."""
        service = self._loader(self.settings)
        service.warm_up()
        self._current = service
        return service

    def reload(self) -> Archive | None:
        """Load the index again and swap it in; None when another reload is already running.

        A failed load raises and leaves the previous service in place.
        """
        if not self._reload_lock.acquire(blocking=False):
            return None
        try:
            fresh = self._loader(self.settings)
            fresh.warm_up()  # before the swap: the first request on the new index is not the slow one
            self._current = fresh
            log.info("index reloaded: %d articles, %d chunks", *fresh.counts())
            return fresh
        finally:
            self._reload_lock.release()
