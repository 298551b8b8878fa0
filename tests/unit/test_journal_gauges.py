"""The journal's gauges (services/journal/gauges.py) when their sources are away: no exception reaches the timer,
the gauges keep their last values, and each kind of failure is logged once until it recovers."""

import logging
from dataclasses import replace

from sqlalchemy import create_engine

from services.journal import gauges
from shared import metrics
from shared.config import Settings
from shared.messages import ANSWERS_QUEUE, WORK_QUEUE

NOWHERE = replace(
    Settings(), amqp_uri="amqp://x:y@127.0.0.1:1/none", database_url="postgresql+psycopg2://x@127.0.0.1:1/none"
)


def test_sources_away_keep_the_last_values_and_warn_once(caplog):
    engine = create_engine(NOWHERE.database_url, connect_args={"connect_timeout": 1})
    metrics.DISPATCH_BACKLOG.set(17)
    g = gauges.Gauges(NOWHERE)
    with caplog.at_level(logging.WARNING, logger=gauges.__name__):
        g.update(engine)
        g.update(engine)
    assert metrics.DISPATCH_BACKLOG._value.get() == 17
    warned = [r.getMessage() for r in caplog.records]
    assert len(warned) == 2 and any("database" in m for m in warned) and any("broker" in m for m in warned)
    assert g.failing == {"database", "broker"}


def test_the_queues_watched_include_every_delay_tier_and_the_parked_letters():
    names = gauges.queues(replace(Settings(), ferzl_retry_tiers="5,30"))
    assert names[:2] == [WORK_QUEUE, ANSWERS_QUEUE]
    assert "ozsp.ferzl.retry.5s" in names and "ozsp.ferzl.retry.30s" in names
    assert "ozsp.certmail.letters.parked" in names
