"""One log line per outage and one at its end; a pause before a failed Redis is tried again."""
import logging
import time

import pytest

from tasks.database.outages import Outage


@pytest.fixture
def outage() -> Outage:
    return Outage("Thing", logging.getLogger("tasks.test_outage"), retry_after=0.2)


def test_an_outage_is_logged_once_and_its_end_once(outage: Outage, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="tasks.test_outage")
    outage.answered()  # nothing was down: nothing logged
    for _ in range(50):
        outage.failed(ConnectionError("refused\nsecond line"))
    outage.answered()
    outage.answered()

    records = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert records[0] == ("ERROR", "Thing unavailable (ConnectionError: refused); further failures are not logged until it answers again")
    assert records[1][0] == "WARNING" and records[1][1].startswith("Thing answering again after ") and "(50 failed calls)" in records[1][1]
    assert len(records) == 2 and all(r.exc_info is None for r in caplog.records)


@pytest.mark.parametrize("failures, wait, skipped", [(0, 0, False), (1, 0, True), (3, 0, True), (1, 0.3, False)])
def test_skip_only_inside_the_pause_after_a_failure(outage: Outage, failures: int, wait: float, skipped: bool) -> None:
    for _ in range(failures):
        outage.failed(TimeoutError("timed out"))
    time.sleep(wait)
    assert outage.skip() is skipped


def test_a_failure_reported_by_two_layers_counts_once(outage: Outage, caplog: pytest.LogCaptureFixture) -> None:
    # A failed query is seen by the client deadline's wrapper, then by the exception
    # handler that turns it into the 503: one failed call, not two.
    caplog.set_level(logging.INFO, logger="tasks.test_outage")
    query_failure, connect_failure = ConnectionError("server closed the connection"), ConnectionError("refused")
    outage.failed(query_failure)
    outage.failed(query_failure)
    outage.failed(connect_failure)
    outage.answered()

    assert "(2 failed calls)" in caplog.records[-1].getMessage()
