"""RPC calls started side by side. nameko's call_async returns only once the broker confirmed the request (a few
ms under load), so two call_async in a row publish one after the other; each started here publishes in its own
green thread, and the handler goes on at once."""

from typing import Any

import eventlet


class Started:
    """call_async(*args) under way; result() waits for its reply (or raises what the publish or the call raised)."""

    def __init__(self, call_async: Any, *args: Any) -> None:
        self._publishing = eventlet.spawn(call_async, *args)

    def result(self) -> Any:
        return self._publishing.wait().result()
