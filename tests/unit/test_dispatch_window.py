"""The journal's dispatch window and the shape of the chunks it publishes (no database).
(Counting and claiming on PostgreSQL: tests/integration/test_dispatch_window.py.)"""

import pytest

from services.journal.store import dispatch_chunks, dispatch_window
from shared import config


def test_automatic_window_is_what_one_bridge_process_prefetches():
    """0 (the default): CHUNK_SIZE × (FERZL_CONCURRENCY + 10), the bridge's max_workers chunks."""
    assert dispatch_window(200, 50, 300) == 200 * 60 == 12_000
    assert dispatch_window(20, 50, 300, rate_limit=0.0, configured=0) == 1_200
    assert dispatch_window(200, 0, 300) == 2_000  # even without concurrency: the bridge's 10 extra workers


def test_automatic_window_is_one_bridge_prefetch_per_bridge_process():
    assert dispatch_window(200, 50, 300, bridges=3) == 3 * 12_000
    assert dispatch_window(200, 50, 300, bridges=0) == 12_000  # none counted (all restarting): as for one
    assert dispatch_window(200, 50, 300, configured=5_000, bridges=3) == 5_000
    assert dispatch_window(200, 50, 300, rate_limit=10, bridges=3) == 1_500  # the rate cap is for all of them


def test_a_configured_window_replaces_the_automatic_one():
    assert dispatch_window(200, 50, 300, configured=5_000) == 5_000
    assert dispatch_window(200, 50, 300, configured=50) == 50  # smaller than a chunk: chunks get smaller


def test_a_rate_limit_caps_the_window_to_half_a_lease_of_lookups():
    assert dispatch_window(200, 50, 300, rate_limit=10) == 1_500  # 10/s × 300 s / 2
    assert dispatch_window(200, 50, 300, rate_limit=25.5) == 3_825
    assert dispatch_window(200, 50, 300, rate_limit=1_000) == 12_000  # a generous rate changes nothing
    assert dispatch_window(200, 50, 300, rate_limit=10, configured=50_000) == 1_500  # a set window too


def test_the_rate_cap_never_goes_below_one_chunk():
    assert dispatch_window(200, 50, 300, rate_limit=0.5) == 200  # 75 would be less than a chunk
    assert dispatch_window(200, 50, 10, rate_limit=1) == 200
    assert dispatch_window(0, 50, 300) >= 1


def test_the_setting_reaches_the_nameko_config():
    assert config.load({}).dispatch_window == 0
    settings = config.load({"DISPATCH_WINDOW": "3000"})
    assert settings.dispatch_window == 3_000
    assert config.from_nameko(config.nameko_config(settings, "journal")).dispatch_window == 3_000


def item(request_id, group_id=None):
    return {"request_id": request_id, "external_id": str(request_id), "params": {}, "group_id": group_id}


def test_chunks_put_individual_requests_first_and_never_mix_them_with_group_rows():
    items = [item(1, 7), item(2, 7), item(3, 8), item(4), item(5, 7), item(6), item(7, 8), item(8)]
    chunks = dispatch_chunks(items, 2)
    assert [[i["request_id"] for i in c] for c in chunks] == [[4, 6], [8], [1, 2], [5, 3], [7]]
    assert dispatch_chunks([], 200) == []
    assert [len(c) for c in dispatch_chunks([item(i, 1) for i in range(450)], 200)] == [200, 200, 50]


def test_a_malformed_number_names_the_setting_in_russian():
    with pytest.raises(config.SettingError, match="Настройка DISPATCH_WINDOW: нужно целое число, а задано «много»"):
        config.load({"DISPATCH_WINDOW": "много"})
    with pytest.raises(config.SettingError, match="FERZL_RATE_LIMIT: нужно число"):
        config.load({"FERZL_RATE_LIMIT": "10/s"})
