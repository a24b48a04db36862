"""The frozen clock behind the `frozen` fixture: civic.common.clock.now() returns the moment the
test sets, on every thread, until the test moves it."""

from datetime import UTC, datetime, timedelta

UTC = UTC
FROZEN_AT = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)  # where `frozen` starts unless a conftest says otherwise


class FrozenClock:
    def __init__(self, moment):
        self.moment = moment

    def now(self):
        return self.moment

    def set(self, moment):
        self.moment = moment

    def advance(self, delta=None, **parts):
        """Move on by a timedelta or by its parts: frozen.advance(hours=1)."""
        self.moment += delta if delta is not None else timedelta(**parts)
