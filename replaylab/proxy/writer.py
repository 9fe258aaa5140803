"""Where the proxy's recordings are written: one child process, so the event loop never waits.

    writer = ProcessWriter()
    writer.submit(write_exchange, args, done=lambda path, error: ...)
    writer.wait()          # everything submitted so far is on disk
    writer.close()

Building, scrubbing and writing a trace + cassette takes ~6 ms of Python per request here.
In a thread of the proxy's own process that work holds the GIL while the next request
waits for it (up to the 5 ms switch interval), so the writing runs in one spawned child
(`nice` +5: recording is background work) and the proxy's thread only hands it the
request. A child that dies is replaced by writing in the calling thread, so nothing is lost.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import suppress
from typing import Any

__all__ = ["MAX_PENDING", "ProcessWriter"]

MAX_PENDING = 1024
"""Writes handed to the child and not yet done before `submit` waits for one to finish."""
Done = Callable[[Any, BaseException | None], None]


def _lower_priority() -> None:
    with suppress(OSError):  # not allowed: the child still writes
        os.nice(5)


def _ready() -> None:
    """The child's first call: it is up, its imports done."""


class ProcessWriter:
    """Runs write calls in one child process, in order, a bounded number in flight."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = ProcessPoolExecutor(
            1, mp_context=mp.get_context("spawn"), initializer=_lower_priority
        )
        self._slots = threading.BoundedSemaphore(MAX_PENDING)
        self._lock = threading.Condition()
        self._pending: set[Future[Any]] = set()
        self._slots.acquire()
        try:
            ready = self._pool.submit(_ready)
        except AssertionError:  # a daemonic process may not have children: write in the caller's thread
            self._slots.release()
            self._pool.shutdown(wait=False)
            self._pool = None
            return
        self._track(ready, lambda _r, _e: None, None)

    def _track(self, fut: Future[Any], done: Done, fallback: Callable[[], Any] | None) -> None:
        with self._lock:
            self._pending.add(fut)

        def finished(f: Future[Any]) -> None:
            try:
                exc = f.exception()
                if isinstance(exc, BrokenProcessPool) and fallback is not None:
                    self._pool = None  # the child died: write here from now on
                    try:
                        done(fallback(), None)
                    except Exception as err:
                        done(None, err)
                else:
                    done(None if exc else f.result(), exc)
            finally:
                with self._lock:
                    self._pending.discard(f)
                    self._lock.notify_all()
                self._slots.release()

        fut.add_done_callback(finished)

    def submit(self, fn: Callable[..., Any], args: tuple[Any, ...], *, done: Done) -> None:
        """Run `fn(*args)` (a module-level function: it is pickled) in the child; `done(result,
        error)` is called once it has run, from a thread of this process."""
        pool = self._pool
        if pool is not None:
            self._slots.acquire()  # at most MAX_PENDING in flight: the caller waits here
            try:
                fut = pool.submit(fn, *args)
            except (BrokenProcessPool, RuntimeError):
                self._slots.release()
                self._pool = None
            else:
                self._track(fut, done, lambda: fn(*args))
                return
        try:
            done(fn(*args), None)
        except Exception as err:
            done(None, err)

    def wait(self, timeout: float | None = None) -> None:
        """Wait until every write submitted so far has finished and its `done` has run."""
        with self._lock:
            pending = set(self._pending)
            self._lock.wait_for(lambda: not pending & self._pending, timeout)

    def close(self) -> None:
        """Finish what was submitted and stop the child."""
        self.wait()
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)
