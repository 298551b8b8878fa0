"""What the fakes share: their public methods are called like the methods of a nameko RpcProxy, directly or with
call_async() and .result()."""

import inspect

import eventlet


class Reply:
    """The reply of call_async(): the value, `delay` seconds later (a slow service)."""

    def __init__(self, value, delay=0.0):
        self.value, self.delay = value, delay

    def result(self):
        eventlet.sleep(self.delay)
        return self.value


class Method:
    """One method of a fake proxy: proxy.method(...) or proxy.method.call_async(...).result()."""

    def __init__(self, bound, delay):
        self.bound, self.delay = bound, delay
        self.__wrapped__ = bound  # inspect.signature sees the fake's own parameters

    def __call__(self, *args, **kwargs):
        return self.bound(*args, **kwargs)

    def call_async(self, *args, **kwargs):
        return Reply(self.bound(*args, **kwargs), self.delay)


class FakeProxy:
    """Base of the fakes. SERVICE: the name of the service it stands in for (services/supervisor.py NAMEKO_SERVICES);
    every public method is one of that service's RPC methods; `delay`: seconds each call_async reply takes."""

    SERVICE = ""

    def __init__(self, delay=0.0):
        self.delay = delay

    def __getattribute__(self, name):
        value = object.__getattribute__(self, name)
        if not name.startswith("_") and inspect.ismethod(value):
            return Method(value, object.__getattribute__(self, "delay"))
        return value

    def __setattr__(self, name, value):
        """A test may put its own function in place of a method for one case, with the method's parameters."""
        methods = type(self).rpc_methods()
        if name in methods and callable(value):
            wanted = list(inspect.signature(methods[name]).parameters)[1:]
            if list(inspect.signature(value).parameters) != wanted:
                raise TypeError(f"{type(self).__name__}.{name} takes {wanted}, not {inspect.signature(value)}")
        object.__setattr__(self, name, value)

    @classmethod
    def rpc_methods(cls):
        """{name: function} of the methods that stand for RPC methods (all public ones)."""
        return {name: f for name, f in inspect.getmembers(cls, inspect.isfunction) if not name.startswith("_")}
