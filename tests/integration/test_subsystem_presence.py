"""services.journal.subsystems.Presence on a real PostgreSQL: whether the journal's events tell public_api that
some subsystem is active (with none, a finished lookup costs public_api no call to the journal)."""

import pytest
from sqlalchemy import create_engine, text

from services.journal import subsystems
from services.journal.pace import Pace
from tests import support

pytestmark = pytest.mark.integration


@pytest.fixture
def own_engine(settings):
    with support.fresh_engine(settings) as engine:
        yield engine


def test_presence_follows_the_directory_at_its_pace(own_engine):
    now = [100.0]
    presence = subsystems.Presence(Pace(lambda: now[0]))
    assert presence.any(own_engine) is False  # the seeded directory has none
    with own_engine.begin() as conn:
        subsystems.add_subsystem(conn, "tfoms_presence", 1, actor="test")
    assert presence.any(own_engine) is False  # not looked again yet
    now[0] += subsystems.PRESENCE_SECONDS
    assert presence.any(own_engine) is True
    with own_engine.begin() as conn:
        conn.execute(text("UPDATE subsystems SET active = false"))
    now[0] += subsystems.PRESENCE_SECONDS
    assert presence.any(own_engine) is False
    presence.seen()  # a subsystem's call admitted by this journal copy: heard of at once
    assert presence.any(own_engine) is True


def test_when_the_database_cannot_tell_public_api_asks():
    presence = subsystems.Presence()
    assert presence.any(create_engine("postgresql+psycopg2://nobody@127.0.0.1:1/none")) is True
