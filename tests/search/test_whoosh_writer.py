"""Whoosh allows one writer at a time: every write of a process goes through one writer thread, and
a writer of another process is waited for, so concurrent requests never meet a LockError."""

import threading

from civic.search.backend import SearchDocument, SearchQuery
from civic.search.whoosh_backend import WhooshBackend

THREADS = 8
PER_THREAD = 15


def document(n):
    return SearchDocument("comment", n, "en", f"Comment {n}", "", f"shelter number{n} at the tram stop")


def write_at_once(backends):
    errors, start = [], threading.Barrier(THREADS)

    def write(t):
        backend = backends[t % len(backends)]
        start.wait()
        try:
            for k in range(PER_THREAD):
                n = t * PER_THREAD + k + 1
                backend.index([document(n)])
                if k % 5 == 4:
                    backend.remove([("comment", n)])
        except Exception as error:  # noqa: BLE001 - collected and asserted on below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(t,)) for t in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def expected_keys():
    return {("comment", t * PER_THREAD + k + 1) for t in range(THREADS) for k in range(PER_THREAD) if k % 5 != 4}


def test_many_threads_writing_at_once_meet_no_lock_error_and_lose_nothing(tmp_path):
    backend = WhooshBackend(tmp_path / "index")
    assert write_at_once([backend]) == []
    assert backend.keys() == expected_keys()
    assert backend.search(SearchQuery(text="shelter", per_page=50)).total == len(expected_keys())


def test_two_writers_on_one_folder_wait_for_each_other(tmp_path):
    # As two processes would: each has its own writer thread, and the index's lock decides.
    first, second = WhooshBackend(tmp_path / "index"), WhooshBackend(tmp_path / "index")
    assert write_at_once([first, second]) == []
    assert first.keys() == second.keys() == expected_keys()


def test_the_writer_thread_ends_when_idle_and_starts_again(tmp_path, monkeypatch):
    monkeypatch.setattr("civic.search.whoosh_backend.WRITER_IDLE_SECONDS", 0.05)
    backend = WhooshBackend(tmp_path / "index")
    backend.index([document(1)])
    thread = backend.writer._thread
    if thread is not None:
        thread.join(timeout=5)
    assert backend.writer._thread is None
    backend.index([document(2)])
    assert backend.keys() == {("comment", 1), ("comment", 2)}
