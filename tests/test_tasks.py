"""Periodic tasks: two runs at once (two machines' `flask civic tick`) do the work once."""

import threading
import time

from civic import tasks


def run_together(app, runs=2):
    """Start `runs` ticks at the same moment, each in its own thread and app context."""
    barrier = threading.Barrier(runs)
    results = [None] * runs

    def tick(index):
        with app.app_context():
            barrier.wait()
            results[index] = tasks.run_periodic_tasks()

    threads = [threading.Thread(target=tick, args=(i,)) for i in range(runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_two_ticks_at_once_do_the_work_once(app, monkeypatch):
    calls = []

    def slow_announcements():
        calls.append(threading.get_ident())
        time.sleep(0.5)  # long enough for the other run to arrive while this one works
        return 0

    monkeypatch.setattr(tasks, "notify_closed_consultations", slow_announcements)
    monkeypatch.setattr(tasks, "close_due_petitions", lambda: 0)
    monkeypatch.setattr(tasks, "send_mailings", lambda: 0)
    results = run_together(app)
    assert len(calls) == 1
    assert sorted(r == [tasks.ANOTHER_RUN] for r in results) == [False, True]


def test_the_lock_is_free_again_after_a_run(app):
    assert tasks.run_periodic_tasks() != [tasks.ANOTHER_RUN]
    assert tasks.run_periodic_tasks() != [tasks.ANOTHER_RUN]
    with tasks.tick_lock() as held:
        assert held
        other = []
        thread = threading.Thread(target=lambda: other.append(_tick_in(app)))
        thread.start()
        thread.join(timeout=10)
        assert other == [[tasks.ANOTHER_RUN]]


def _tick_in(app):
    with app.app_context():
        return tasks.run_periodic_tasks()
