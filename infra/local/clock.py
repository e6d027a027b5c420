"""A discrete-event virtual clock for moto's executing Step Functions engine.

Why
---
With ``mock_aws(config={"stepfunctions": {"execute_state_machine": True}})`` moto runs
state machines for real (LocalStack's ASL interpreter in ``moto/stepfunctions/parser/``),
but every wait in it is real wall-clock time: a ``Wait`` of one day blocks a thread for a
day, a Retry backoff calls ``time.sleep``, a ``.waitForTaskToken`` timeout is an
``Event.wait(timeout)``.  freezegun alone does not help: it changes what ``datetime.now()``
returns, but ``Event.wait`` and ``time.sleep`` keep waiting in real time.

How
---
``VirtualClock`` replaces the threading and sleeping names inside the engine's modules with
virtual ones and moves a frozen freezegun clock itself:

* Every thread the engine starts is a ``VirtualThread``.  The scheduler counts it as
  *running* from the moment ``start()`` is called until it parks in a virtual wait or its
  target returns.
* ``VirtualEvent.wait(timeout)``, ``VirtualThread.join(timeout)`` and the virtual
  ``time.sleep`` *park* the calling thread: it stops counting as running and, if the wait
  has a finite timeout, registers a wake-up at ``now + timeout``.
* Whoever releases a parked thread (``Event.set()``, a thread exit that ends a ``join``,
  the driver firing a wake-up) counts it as running again *under the scheduler lock, before
  the OS runs it*.  So "nothing is running" really means every engine thread is parked or
  finished; there is no window in which a released thread is invisible (frame inspection
  alone cannot rule that race out).
* Time moves only in ``run_until``/``advance``, on the driver's thread: wait until nothing
  runs (``settle``), pop the earliest wake-up, move freezegun there, release exactly that one
  waiter, settle again, and so on.  Releasing one waiter per step makes runs deterministic.
  Ties at the same instant are broken by thread *lineage* (the execution started first goes
  first; a parent before its children), not by registration order: two threads running
  concurrently register their waits in a racy order, their lineage is fixed by the driver.

moto's "no timeout" (``TimeoutSeconds`` default 99999999 s, or ``None``) is an unbounded
wait: it registers no wake-up, so ``next_wakeup()`` stays meaningful.

What is patched in moto 5.2.5 (``moto.stepfunctions.parser``), and why
----------------------------------------------------------------------
* ``backend.execution_worker.Thread``: the execution's own thread.
* ``asl.component.program.program.threading``: the program thread and its
  ``join(timeout)``/``is_alive()`` implementing the state machine's ``TimeoutSeconds``
  (``is_alive`` must agree with the virtual join, or a false timeout is reported).
* ``asl.component.state.exec.execute_state.threading`` and ``.Thread``: each Task runs in
  its own thread; the parent waits ``Event.wait(TimeoutSeconds)``.
* ``asl.eval.environment.threading``: ``program_state_event``, which Wait states sleep on
  (and which stop/timeout/end interrupt).
* ``asl.eval.callback.callback.Event``: ``.waitForTaskToken`` results, heartbeats and
  activity starts.
* ``asl.component.common.retry.retrier_decl.time``: Retry backoff ``time.sleep``.
* ``asl.component.common.retry.jitter_strategy_decl.random``: ``"JitterStrategy": "FULL"``
  (every Retry of ours has it) draws the backoff from ``random.uniform(0, interval)`` of the
  process-wide generator, so two runs of one scenario would wait differently.  Each engine
  thread draws instead from a generator seeded with the clock's ``jitter_seed`` and the
  thread's lineage (``_SeededJitter``): the same run draws the same delays, whatever other
  threads draw in between, and the delays are still spread as AWS spreads them.
* ``asl.component.state.exec.state_task.service.state_task_service_callback.threading`` and
  ``.time``: the waitForTaskToken helper thread of ``.sync`` tasks and the 0.5 s ``.sync``
  polling sleep.
* ``asl.component.state.exec.state_parallel.branch_worker`` / ``branches_decl``
  ``.threading``: Parallel branch threads and the wait for all of them.
* ``asl.component.state.exec.state_map.iteration.inline_iteration_component`` /
  ``iteration.job`` ``.threading``: Map iteration threads and the wait for all jobs.
* ``TMP_THREADS`` in ``utils`` and every module that imported it: moto appends every thread
  it starts and never removes one (nothing reads the list); a long simulation would pin
  every finished thread in memory.  A list that discards appends replaces it.

Left alone on purpose: ``wait_function`` (it sleeps on ``program_state_event`` and
measures the wait with ``time.time()``, which freezegun makes virtual); locks
(``Lock``/``RLock``) stay real: they guard short critical sections and moto never parks
while holding one; ``event_manager`` and ``map_run_record`` (locks, and an event nobody
waits on); ``count_down_latch`` (unused); ``test_state_program`` (the TestState API runs
synchronously in the caller's thread); ``provider._pull_activity_task`` (GetActivityTask
polls with real ``time.sleep`` in the API caller's thread).

Besides, freezegun is started (``tick=False``) so that ``datetime.now()``,
``datetime.utcnow()`` and ``time.time()`` return virtual time in every thread, and
``TZ=UTC`` is set because moto compares ``Timestamp`` waits with a naive ``datetime.now()``.
Everything is undone by ``uninstall()``.

Limits
------
* Install the clock before starting executions: engine objects created earlier hold real
  events and threads.
* A thread that is not an engine thread and calls a patched wait (e.g. a synchronous Express
  execution, which runs in the caller's thread) is not counted; if it is the driver itself
  it blocks until someone else moves time, i.e. forever.
* Executions still parked when the clock is uninstalled stay parked (daemon threads of a
  finished scenario); virtual primitives used after ``uninstall`` fall back to real waits.
* freezegun runs with an empty ignore list (its default list holds ``threading``, so code
  called near ``Thread.run`` would see real time).  Hence *every* module's globals holding
  ``time.monotonic``/``perf_counter`` are frozen too while installed: a
  ``queue.Queue.get(timeout=...)`` never times out, moto's SQS long polling
  (``WaitTimeSeconds`` > 0 on an empty queue) never returns.  asyncio loops keep real time
  (``real_asyncio=True``).  To measure real durations call
  ``freezegun.api.real_perf_counter()`` through the module attribute.
"""

from __future__ import annotations

import datetime as _dt
import heapq
import importlib
import itertools
import os
import random
import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any, ClassVar

import freezegun
import freezegun.api
import freezegun.config

__all__ = ["ClockStalled", "VirtualClock", "VirtualEvent", "VirtualThread"]

# moto's "no timeout": TimeoutSeconds.DEFAULT_TIMEOUT_SECONDS.  Waits this long or longer
# register no wake-up.
NO_TIMEOUT_SECONDS = 99_999_999

# Modules that measure real durations for whoever runs the stack: pytest's timing (its
# --durations and the summary line would otherwise subtract a real start from a virtual end).
_REAL_TIME_MODULES = ("_pytest.timing",)

# Lineage given to waits of threads that are not engine threads: they sort last on ties.
_NON_ENGINE_LINEAGE = (sys.maxsize,)


class _RealTime:
    """Real monotonic clock for the settle watchdog.

    Kept as a class attribute on purpose: freezegun rewrites *module-level* names that hold
    ``time.perf_counter``/``time.monotonic``, which would freeze the watchdog.
    """

    perf_counter = staticmethod(getattr(freezegun.api, "real_perf_counter", time.perf_counter))


class ClockStalled(RuntimeError):
    """Engine threads kept running (in real time) longer than ``settle`` allows."""


def _as_utc(moment: _dt.datetime) -> _dt.datetime:
    """Tz-aware UTC copy of ``moment``; a naive datetime is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=_dt.UTC)
    return moment.astimezone(_dt.UTC)


class _Waiter:
    """One blocked call (Event.wait, join, sleep) of one thread."""

    __slots__ = (
        "thread",
        "counted",
        "waitlist",
        "gate",
        "done",
        "signaled",
        "has_timer",
        "real_timeout",
    )

    def __init__(self, thread: threading.Thread, counted: bool, waitlist: dict | None):
        self.thread = thread
        self.counted = counted  # an engine thread: it stops counting as running while parked
        self.waitlist = waitlist  # the VirtualEvent's waiters, None for a plain sleep
        self.gate = threading.Lock()  # real lock, held until the waiter is released
        self.gate.acquire()
        self.done = False
        self.signaled = False
        self.has_timer = False
        self.real_timeout: float | None = None  # only used once the clock is uninstalled


class _Scheduler:
    """Accounting of running engine threads and the queue of virtual wake-ups.

    Every method whose name ends in ``_locked`` must be called with ``lock`` held.
    """

    def __init__(self, now: _dt.datetime):
        self.lock = threading.Lock()
        self._idle = threading.Condition(self.lock)
        self.now = now
        self.active = False  # True while the clock is installed
        self._running: set[threading.Thread] = set()
        # heap of (wake_at, lineage, seq, waiter); released waiters are dropped lazily
        self._timers: list[tuple] = []
        self._stale_timers = 0
        self._seq = itertools.count()
        self._roots = itertools.count()

    # -- running threads -----------------------------------------------------------
    def thread_starting_locked(self, thread: VirtualThread) -> None:
        parent = threading.current_thread()
        if isinstance(parent, VirtualThread) and parent._vc_sched is self:
            thread._vc_lineage = parent._vc_lineage + (next(parent._vc_children),)
        else:
            thread._vc_lineage = (next(self._roots),)
        if self.active:
            self._running.add(thread)

    def thread_stopped_locked(self, thread: threading.Thread) -> None:
        self._running.discard(thread)
        if not self._running:
            self._idle.notify_all()

    def thread_exited(self, thread: VirtualThread) -> None:
        # One atomic step: joiners count as running before this thread stops counting.
        with self.lock:
            thread._vc_done.set_locked()
            self.thread_stopped_locked(thread)

    # -- parking and releasing -----------------------------------------------------
    def park_locked(self, waitlist: dict | None, timeout: float | None) -> _Waiter:
        me = threading.current_thread()
        waiter = _Waiter(me, counted=self.active and me in self._running, waitlist=waitlist)
        if waitlist is not None:
            waitlist[waiter] = None
        unbounded = timeout is None or timeout >= NO_TIMEOUT_SECONDS
        if not self.active:
            waiter.real_timeout = None if unbounded else timeout
        elif not unbounded:
            wake_at = self.now + _dt.timedelta(seconds=timeout)
            if isinstance(me, VirtualThread) and me._vc_sched is self:
                lineage = me._vc_lineage
            else:
                lineage = _NON_ENGINE_LINEAGE
            heapq.heappush(self._timers, (wake_at, lineage, next(self._seq), waiter))
            waiter.has_timer = True
        if waiter.counted:
            self.thread_stopped_locked(me)
        return waiter

    def release_locked(self, waiter: _Waiter, signaled: bool) -> None:
        if waiter.done:
            return
        waiter.done = True
        waiter.signaled = signaled
        if waiter.waitlist is not None:
            waiter.waitlist.pop(waiter, None)
        if waiter.counted:
            self._running.add(waiter.thread)
        if signaled and waiter.has_timer:
            self._stale_timers += 1  # its wake-up is still queued; dropped lazily
        waiter.gate.release()

    def block(self, waiter: _Waiter) -> bool:
        """Block the calling thread until released; True if released by ``set()``."""
        if waiter.real_timeout is None:
            waiter.gate.acquire()
            return waiter.signaled
        # Clock uninstalled: behave like a real timed wait.
        if not waiter.gate.acquire(timeout=waiter.real_timeout):
            with self.lock:
                if not waiter.done:
                    waiter.done = True
                    if waiter.waitlist is not None:
                        waiter.waitlist.pop(waiter, None)
        return waiter.signaled

    def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            return
        with self.lock:
            waiter = self.park_locked(None, seconds)
        self.block(waiter)

    # -- wake-ups ------------------------------------------------------------------
    def _drop_stale_locked(self) -> None:
        timers = self._timers
        if self._stale_timers > 256 and self._stale_timers * 2 > len(timers):
            self._timers = [entry for entry in timers if not entry[-1].done]
            heapq.heapify(self._timers)
            self._stale_timers = 0
            timers = self._timers
        while timers and timers[0][-1].done:
            heapq.heappop(timers)
            self._stale_timers -= 1

    def next_wakeup_locked(self) -> _dt.datetime | None:
        self._drop_stale_locked()
        return self._timers[0][0] if self._timers else None

    def pop_due_locked(self, until: _dt.datetime) -> tuple[_dt.datetime, _Waiter] | None:
        self._drop_stale_locked()
        if not self._timers or self._timers[0][0] > until:
            return None
        wake_at, _lineage, _seq, waiter = heapq.heappop(self._timers)
        return wake_at, waiter

    # -- settling ------------------------------------------------------------------
    def settle(self, timeout_real_seconds: float) -> None:
        deadline = _RealTime.perf_counter() + timeout_real_seconds
        with self._idle:
            while self._running:
                remaining = deadline - _RealTime.perf_counter()
                if remaining <= 0:
                    raise ClockStalled(
                        f"engine threads still running after {timeout_real_seconds} s of "
                        f"real time at virtual {self.now.isoformat()}:\n" + self._describe_running_locked()
                    )
                self._idle.wait(remaining)

    def _describe_running_locked(self) -> str:
        frames = sys._current_frames()
        lines = []
        for thread in sorted(self._running, key=lambda t: getattr(t, "_vc_lineage", ())):
            lines.append(f"  {thread.name} lineage={getattr(thread, '_vc_lineage', '?')}")
            frame = frames.get(thread.ident) if thread.ident is not None else None
            if frame is None:
                lines.append("    (not scheduled by the OS yet)")
                continue
            for entry in traceback.extract_stack(frame)[-4:]:
                lines.append(f"    {entry.filename}:{entry.lineno} in {entry.name}")
        return "\n".join(lines)


class VirtualEvent:
    """``threading.Event`` whose ``wait(timeout)`` times out in virtual time."""

    def __init__(self, scheduler: _Scheduler):
        self._sched = scheduler
        self._flag = False
        self._waiters: dict[_Waiter, None] = {}  # insertion-ordered set

    def is_set(self) -> bool:
        return self._flag

    isSet = is_set

    def set(self) -> None:
        with self._sched.lock:
            self.set_locked()

    def set_locked(self) -> None:
        # Like threading.Event: every current waiter returns True, even if clear() follows
        # at once (moto's Environment does set(); clear()).
        self._flag = True
        for waiter in list(self._waiters):
            self._sched.release_locked(waiter, signaled=True)

    def clear(self) -> None:
        with self._sched.lock:
            self._flag = False

    def wait(self, timeout: float | None = None) -> bool:
        with self._sched.lock:
            if self._flag:
                return True
            if timeout is not None and timeout <= 0:
                return False
            waiter = self._sched.park_locked(self._waiters, timeout)
        return self._sched.block(waiter)


class VirtualThread(threading.Thread):
    """``threading.Thread`` counted by the scheduler; ``join``/``is_alive`` are virtual."""

    def __init__(self, scheduler: _Scheduler, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._vc_sched = scheduler
        self._vc_done = VirtualEvent(scheduler)
        self._vc_started = False
        self._vc_lineage: tuple[int, ...] = ()
        self._vc_children = itertools.count()

    def start(self) -> None:
        sched = self._vc_sched
        with sched.lock:
            # Counted as running before the OS thread exists, so settle() cannot miss it.
            sched.thread_starting_locked(self)
            self._vc_started = True
        try:
            super().start()
        except BaseException:
            with sched.lock:
                self._vc_started = False
                sched.thread_stopped_locked(self)
            raise

    def run(self) -> None:
        try:
            super().run()
        finally:
            self._vc_sched.thread_exited(self)

    def join(self, timeout: float | None = None) -> None:
        if not self._vc_started:
            raise RuntimeError("cannot join thread before it is started")
        if self is threading.current_thread():
            raise RuntimeError("cannot join current thread")
        self._vc_done.wait(timeout)

    def is_alive(self) -> bool:
        # Must agree with join(): moto's Program reads is_alive() right after a timed join.
        return self._vc_started and not self._vc_done.is_set()


class _ThreadingShim:
    """Stands in for the ``threading`` module inside one moto module."""

    def __init__(self, scheduler: _Scheduler):
        self._sched = scheduler

    def Thread(self, *args: Any, **kwargs: Any) -> VirtualThread:  # noqa: N802
        return VirtualThread(self._sched, *args, **kwargs)

    def Event(self) -> VirtualEvent:  # noqa: N802
        return VirtualEvent(self._sched)

    def __getattr__(self, name: str) -> Any:
        # Lock, RLock, Condition, current_thread...: the real ones.
        return getattr(threading, name)


class _TimeShim:
    """Stands in for the ``time`` module inside one moto module."""

    def __init__(self, scheduler: _Scheduler):
        self._sched = scheduler

    def sleep(self, seconds: float) -> None:
        self._sched.sleep(seconds)

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


class _SeededJitter:
    """Stands in for the ``random`` module inside moto's jitter strategy.

    A thread's draws come from its own generator, seeded with the clock's seed and the
    thread's lineage (fixed by the driver, see ``_Scheduler.thread_starting_locked``), so
    they do not depend on how the OS interleaves threads.  A thread the clock does not
    count shares one generator, seeded with the clock's seed alone.
    """

    def __init__(self, seed: int):
        self._seed = seed
        self._shared = random.Random(f"{seed}/shared")
        self._lock = threading.Lock()

    def uniform(self, low: float, high: float) -> float:
        current = threading.current_thread()
        if isinstance(current, VirtualThread):
            generator = current.__dict__.get("_vc_jitter")
            if generator is None:
                generator = random.Random(f"{self._seed}/{current._vc_lineage}")
                current._vc_jitter = generator
            return generator.uniform(low, high)
        with self._lock:
            return self._shared.uniform(low, high)

    def __getattr__(self, name: str) -> Any:
        return getattr(random, name)


class _DiscardingList(list):
    """Replacement for moto's ever-growing ``TMP_THREADS``."""

    def append(self, item: Any) -> None:
        pass


_PARSER = "moto.stepfunctions.parser."
# moto module (under _PARSER) -> names replaced in it; the module docstring says why.
_PATCHES: dict[str, tuple[str, ...]] = {
    "utils": ("TMP_THREADS",),
    "backend.execution_worker": ("Thread", "TMP_THREADS"),
    "asl.component.program.program": ("threading", "TMP_THREADS"),
    "asl.component.state.exec.execute_state": ("threading", "Thread", "TMP_THREADS"),
    "asl.eval.environment": ("threading",),
    "asl.eval.callback.callback": ("Event",),
    "asl.component.common.retry.retrier_decl": ("time",),
    "asl.component.common.retry.jitter_strategy_decl": ("random",),
    "asl.component.state.exec.state_task.service.state_task_service_callback": (
        "threading",
        "time",
        "TMP_THREADS",
    ),
    "asl.component.state.exec.state_parallel.branch_worker": ("threading", "TMP_THREADS"),
    "asl.component.state.exec.state_parallel.branches_decl": ("threading",),
    "asl.component.state.exec.state_map.iteration.inline_iteration_component": (
        "threading",
        "TMP_THREADS",
    ),
    "asl.component.state.exec.state_map.iteration.job": ("threading",),
}


class VirtualClock:
    """Discrete-event virtual time for moto's Step Functions engine.

    Usage::

        with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
            with VirtualClock(start=datetime(2026, 11, 2, 9, tzinfo=timezone.utc)) as clock:
                sfn.start_execution(...)
                clock.advance(timedelta(hours=2))

    Only the driver thread (a test, a demo) may call ``settle``/``run_until``/``advance``.
    """

    _installed: ClassVar[VirtualClock | None] = None

    def __init__(self, start: _dt.datetime, jitter_seed: int = 0):
        self._sched = _Scheduler(_as_utc(start))
        # Retry jitter (JitterStrategy FULL) is drawn from generators seeded with this: one
        # seed, one run; change it to see the journeys under other retry delays.
        self._jitter_seed = jitter_seed
        self._undo: list[Callable[[], None]] = []
        self._freeze_factory: Any = None
        self._used = False

    # -- lifecycle -------------------------------------------------------------------
    def install(self) -> VirtualClock:
        if VirtualClock._installed is not None:
            raise RuntimeError("another VirtualClock is already installed")
        if self._used:
            raise RuntimeError("a VirtualClock can be installed only once")
        self._used = True
        VirtualClock._installed = self
        try:
            self._set_utc_timezone()
            self._patch_moto()
            self._start_freezegun()
        except BaseException:
            self.uninstall()
            raise
        self._sched.active = True
        return self

    def uninstall(self) -> None:
        if VirtualClock._installed is not self:
            return
        with self._sched.lock:
            self._sched.active = False
        errors = []
        while self._undo:  # in reverse order of installation
            try:
                self._undo.pop()()
            except Exception as exc:  # keep undoing the rest
                errors.append(exc)
        VirtualClock._installed = None
        if errors:
            raise errors[0]

    def __enter__(self) -> VirtualClock:
        return self.install()

    def __exit__(self, *exc_info: object) -> None:
        self.uninstall()

    def _set_utc_timezone(self) -> None:
        # moto compares Timestamp waits with naive datetime.now(); keep local time == UTC.
        previous = os.environ.get("TZ")

        def restore() -> None:
            if previous is None:
                os.environ.pop("TZ", None)
            else:
                os.environ["TZ"] = previous
            time.tzset()

        os.environ["TZ"] = "UTC"
        time.tzset()
        self._undo.append(restore)

    def _patch_moto(self) -> None:
        shim = _ThreadingShim(self._sched)
        replacements = {
            "threading": shim,
            "Thread": shim.Thread,  # modules that did `from threading import Thread`
            "Event": shim.Event,
            "time": _TimeShim(self._sched),
            "TMP_THREADS": _DiscardingList(),
            "random": _SeededJitter(self._jitter_seed),
        }
        for module_name, attributes in _PATCHES.items():
            module = importlib.import_module(_PARSER + module_name)
            for attribute in attributes:
                if not hasattr(module, attribute):
                    raise RuntimeError(f"moto changed: {module.__name__}.{attribute} is gone; infra/local/clock.py targets moto 5.2.5")
                original = getattr(module, attribute)
                setattr(module, attribute, replacements[attribute])
                self._undo.append(lambda m=module, a=attribute, o=original: setattr(m, a, o))

    def _start_freezegun(self) -> None:
        # The default ignore list contains "threading": code running near Thread.run would
        # see real time.  The list is read when freeze_time() is built, so the global
        # setting is restored right away.
        previous = freezegun.config.settings.default_ignore_list
        freezegun.configure(default_ignore_list=[])
        try:
            # real_asyncio: asyncio servers in the same process keep real timeouts.
            freezer = freezegun.freeze_time(self._sched.now, tick=False, real_asyncio=True)
        finally:
            freezegun.config.settings.default_ignore_list = previous
        self._freeze_factory = freezer.start()
        self._undo.append(freezer.stop)
        self._keep_real_time_in(_REAL_TIME_MODULES)

    @staticmethod
    def _keep_real_time_in(module_names: tuple[str, ...]) -> None:
        """freezegun rewrites every loaded module's ``time``/``perf_counter``; give these
        modules the real ones back (freezegun's stop restores them to the real ones too)."""
        reals = {
            "time": freezegun.api.real_time,
            "perf_counter": freezegun.api.real_perf_counter,
            "monotonic": freezegun.api.real_monotonic,
        }
        for module_name in module_names:
            module = sys.modules.get(module_name)
            for attribute, real in reals.items():
                if module is not None and hasattr(module, attribute):
                    setattr(module, attribute, real)

    # -- time ----------------------------------------------------------------------
    def now(self) -> _dt.datetime:
        return self._sched.now

    def next_wakeup(self) -> _dt.datetime | None:
        with self._sched.lock:
            return self._sched.next_wakeup_locked()

    def settle(self, timeout_real_seconds: float = 30.0) -> None:
        """Block until every engine thread is parked in a virtual wait or finished."""
        self._require_driver()
        self._sched.settle(timeout_real_seconds)

    def run_until(self, t: _dt.datetime, timeout_real_seconds: float = 30.0) -> None:
        """Fire, one at a time and in order, every wake-up due by ``t``; end at ``t``.

        ``timeout_real_seconds`` bounds each settle, not the whole run.
        """
        self._require_driver()
        target = _as_utc(t)
        if target < self._sched.now:
            raise ValueError(f"cannot go back in time: {target} < {self._sched.now}")
        sched = self._sched
        sched.settle(timeout_real_seconds)
        while True:
            with sched.lock:
                due = sched.pop_due_locked(target)
                if due is None:
                    self._move_to_locked(target)
                    break
                wake_at, waiter = due
                self._move_to_locked(wake_at)
                sched.release_locked(waiter, signaled=False)
            sched.settle(timeout_real_seconds)
        sched.settle(timeout_real_seconds)

    def call_later(self, delay: _dt.timedelta, callback: Callable[[], None], *, name: str = "clock-timer") -> None:
        """Run ``callback`` once ``delay`` of virtual time has passed (a timer of this clock:
        nothing sleeps in real time). It runs in an engine thread of its own, counted like
        the engine's, so ``settle``/``run_until`` wait for it; what it raises is reported on
        stderr (as a thread would) and does not stop the clock."""
        seconds = max(0.0, delay.total_seconds())
        sched = self._sched

        def run() -> None:
            sched.sleep(seconds)
            callback()

        VirtualThread(sched, target=run, name=name, daemon=True).start()

    def advance(self, delta: _dt.timedelta, timeout_real_seconds: float = 30.0) -> None:
        self.run_until(self._sched.now + delta, timeout_real_seconds)

    def _move_to_locked(self, moment: _dt.datetime) -> None:
        if moment > self._sched.now:
            self._sched.now = moment
            self._freeze_factory.move_to(moment)

    def _require_driver(self) -> None:
        if VirtualClock._installed is not self:
            raise RuntimeError("the VirtualClock is not installed")
        current = threading.current_thread()
        if isinstance(current, VirtualThread) and current._vc_sched is self._sched:
            raise RuntimeError("an engine thread cannot drive the clock it is counted by")
