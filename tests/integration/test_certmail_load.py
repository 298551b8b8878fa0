"""Many letters at once, and certmail killed: every letter is answered, each exactly once when nothing crashes."""

import collections
import concurrent.futures
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from services.certmail import messages as M
from tests.integration.test_certmail_kit import World, cert_zip, letter, send, sink  # noqa: F401
from tests.support import wait_for

pytestmark = pytest.mark.integration
N = 500


@pytest.fixture(scope="module")
def world(engine):
    return World(engine, "НАГРУЗКА")


def _letters(world, n, tag):
    """n letters of five kinds from n // 10 users; returns [(msg, expected reply prefix)]."""
    users = [world.user() for _ in range(max(1, n // 10))]
    expired = world.issue(not_before=datetime(2020, 1, 1, tzinfo=UTC), not_after=datetime(2021, 1, 1, tzinfo=UTC))
    out = []
    for i in range(n):
        sender = users[i % len(users)]["email"]
        kind = i % 5
        if kind == 0:
            cert = world.issue(f"НАГРУЗОВ {tag} {i}")
            out.append(
                (
                    letter(sender, attachments=[cert_zip(cert.cert.der)]),
                    "Установка сертификата ключа проверки электронной подписи выполнена успешно.",
                )
            )
        elif kind == 1:
            out.append((letter(sender, subject=f"Вопрос {i}"), M.UNKNOWN_TEMPLATE))
        elif kind == 2:
            out.append((letter(sender), M.NO_CER))
        elif kind == 3:
            out.append((letter(sender, attachments=[("a.txt", b"a"), ("b.txt", b"b")]), M.INVALID_FILES))
        else:
            out.append(
                (
                    letter(sender, attachments=[cert_zip(expired.cert.der)]),
                    M.CERT_INVALID.format(serial=expired.cert.serial_hex),
                )
            )
    return out


def _send_all(stack, letters, threads=50):
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        return list(pool.map(lambda pair: send(stack, pair[0]), letters))


def _replies(sink, ids):
    wanted = set(ids)
    counts = collections.Counter()
    texts = {}
    for msg in sink.matching(lambda rcpt, m: m["In-Reply-To"] in wanted):
        counts[msg["In-Reply-To"]] += 1
        texts[msg["In-Reply-To"]] = msg.get_body(("plain",)).get_content().strip()
    return counts, texts


def test_500_letters_sent_concurrently_are_each_answered_exactly_once(stack, engine, sink, world):
    letters = _letters(world, N, "А")
    ids = _send_all(stack, letters)
    assert len(set(ids)) == N
    wait_for(lambda: len(_replies(sink, ids)[0]) == N, 180, 0.5, "a reply to every letter")
    wait_for(lambda: True, 3, 3)  # time for a wrong second reply to show up
    counts, texts = _replies(sink, ids)
    assert set(counts.values()) == {1}, "each letter answered exactly once"
    for (_msg, expected), message_id in zip(letters, ids):
        assert texts[message_id].startswith(expected)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT message_id, outcome, delivered_at FROM mail_letters WHERE message_id = ANY(:ids)"),
            {"ids": ids},
        ).all()
    assert len(rows) == N and all(r.outcome and r.delivered_at for r in rows)
    assert collections.Counter(r.outcome for r in rows) == {
        "installed": N // 5,
        "unknown_template": N // 5,
        "no_cer": N // 5,
        "invalid_files": N // 5,
        "cert_invalid": N // 5,
    }


def test_letters_survive_certmail_being_down_and_killed_mid_flight(stack, engine, sink, world):
    n = 150
    letters = _letters(world, n, "Б")
    stack.sup.kill("certmail")
    try:
        ids = _send_all(stack, letters, threads=20)  # accepted by the intake while certmail is down
        wait_for(lambda: True, 1, 1)
        assert len(_replies(sink, ids)[0]) == 0
        stack.sup.start("certmail")
        wait_for(lambda: len(_replies(sink, ids)[0]) >= 10, 60, 0.05, "the first replies after the restart")
        stack.sup.kill("certmail")  # SIGKILL in the middle of the work
        assert len(_replies(sink, ids)[0]) < n, "the kill came too late to prove anything"
    finally:
        stack.sup.start("certmail")
    wait_for(lambda: len(_replies(sink, ids)[0]) == n, 180, 0.5, "a reply to every letter after the second restart")
    counts, texts = _replies(sink, ids)
    duplicates = sum(c - 1 for c in counts.values())
    print(f"duplicates after the kill: {duplicates}")
    assert duplicates <= 10, "only letters in flight at the kill may be answered twice (at-least-once)"
    for (_msg, expected), message_id in zip(letters, ids):
        assert texts[message_id].startswith(expected)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT outcome FROM mail_letters WHERE message_id = ANY(:ids)"), {"ids": ids}).all()
    assert len(rows) == n and all(r.outcome for r in rows)
    assert stack.sup.procs["certmail"].poll() is None
