"""ferzl_bridge's RPC surface in memory: the ФЕРЗЛ state the gateway's banner asks for."""

from tests.fakes.rpc import FakeProxy


class FakeBridge(FakeProxy):
    SERVICE = "ferzl_bridge"

    def __init__(self, state=None, delay=0.0):
        super().__init__(delay)
        self.state = state or {"state": "up"}
        self.calls = 0

    def get_state(self):
        self.calls += 1
        return self.state
