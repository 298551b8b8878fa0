"""shared.memory: freed heap goes back to the system (glibc), a no-op elsewhere."""

from nameko.timer import Timer

from shared import memory


def rss_kb():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


def test_release_returns_freed_heap_to_the_system():
    blocks = [bytearray(100_000) for _ in range(2000)]  # ~200 MB from malloc, below the mmap threshold each
    for block in blocks[::2]:
        block[0] = 1
    full = rss_kb()
    del blocks[1:]  # the last block keeps the heap's top in place: without a trim nothing shrinks
    assert memory.release() is True
    assert rss_kb() < full - 100_000, "at least 100 MB handed back"


def test_services_with_big_payloads_trim_on_a_timer():
    from services.flk.service import FlkService
    from services.gateway.service import GatewayService
    from services.journal.service import JournalService

    for service in (FlkService, JournalService, GatewayService):
        assert issubclass(service, memory.ReleasesMemory), service
    entrypoints = memory.ReleasesMemory.release_memory.nameko_entrypoints
    assert [type(e) for e in entrypoints] == [Timer]
