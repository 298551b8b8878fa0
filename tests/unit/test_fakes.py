"""The fakes of tests/fakes stand for real RPC surfaces: each public method of a fake is an @rpc method of the
service nameko runs under the fake's SERVICE name (services/supervisor.py), with the same parameters in the same
order, of the same kinds and with the same defaults."""

import importlib
import inspect
import pkgutil

import pytest
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR
from nameko.rpc import Rpc

from services.supervisor import NAMEKO_SERVICES
from tests import fakes
from tests.fakes.rpc import FakeProxy


def all_fakes():
    """Every FakeProxy subclass defined in a module of tests/fakes."""
    found = []
    for info in pkgutil.iter_modules(fakes.__path__):
        module = importlib.import_module(f"{fakes.__name__}.{info.name}")
        found += [
            c for c in vars(module).values() if inspect.isclass(c) and issubclass(c, FakeProxy) and c is not FakeProxy
        ]
    return sorted(set(found), key=lambda c: c.__name__)


def service_class(name):
    module, _, cls = NAMEKO_SERVICES[name].partition(":")
    return getattr(importlib.import_module(module), cls)


def rpc_methods(service):
    """{name: function} of the service class's @rpc entrypoints (nameko keeps them on the function)."""
    return {
        name: f
        for name, f in inspect.getmembers(service, inspect.isfunction)
        if any(isinstance(e, Rpc) for e in getattr(f, ENTRYPOINT_EXTENSIONS_ATTR, ()))
    }


def parameters(function):
    """(name, kind, default) of each parameter but self."""
    return [(p.name, p.kind.description, p.default) for p in list(inspect.signature(function).parameters.values())[1:]]


def drift(fake, service):
    """What in the fake no longer matches the service: ["name: not an @rpc method of X", "name(a, b) vs (a, c)"]."""
    real = rpc_methods(service)
    problems = []
    for name, function in sorted(fake.rpc_methods().items()):
        if name not in real:
            problems.append(f"{fake.__name__}.{name}: not an @rpc method of {service.__name__}")
        elif parameters(function) != parameters(real[name]):
            problems.append(
                f"{fake.__name__}.{name}{inspect.signature(function)} vs "
                f"{service.__name__}.{name}{inspect.signature(real[name])}"
            )
    return problems


def test_the_fakes_are_found():
    assert {f.SERVICE for f in all_fakes()} == {"journal", "flk", "ferzl_bridge"}


@pytest.mark.parametrize("fake", all_fakes(), ids=lambda f: f.__name__)
def test_every_method_of_a_fake_is_an_rpc_method_of_its_service_with_the_same_parameters(fake):
    assert fake.SERVICE in NAMEKO_SERVICES, f"{fake.__name__}.SERVICE: no service {fake.SERVICE!r}"
    service = service_class(fake.SERVICE)
    assert rpc_methods(service), f"no @rpc methods found on {service.__name__}"
    assert fake.rpc_methods()
    assert not drift(fake, service)


class Service:
    """A stand-in service for the checker's own tests."""

    from nameko.rpc import rpc

    @rpc
    def lookup(self, identity, filters=None, page=1):
        pass

    def helper(self, identity):  # not an entrypoint
        pass

    del rpc


@pytest.mark.parametrize(
    "source, problem",
    [
        ("def lookup(self, identity, filters=None, page=1): pass", None),
        ("def lookup(self, identity, filter=None, page=1): pass", "lookup(self, identity, filter=None, page=1) vs"),
        ("def lookup(self, identity, filters, page): pass", "lookup(self, identity, filters, page) vs"),
        ("def lookup(self, identity, filters=None, page=2): pass", "vs Service.lookup"),
        ("def lookup(self, identity, *, filters=None, page=1): pass", "vs Service.lookup"),
        ("def lookup(self, identity, filters=None): pass", "vs Service.lookup"),
        ("def helper(self, identity): pass", "helper: not an @rpc method of Service"),
        ("def search(self, identity): pass", "search: not an @rpc method of Service"),
        ("def _state(self): pass", None),  # private: not an RPC method
    ],
)
def test_a_fake_that_drifted_is_named(source, problem):
    namespace = {}
    exec(source, namespace)
    function = next(v for k, v in namespace.items() if k != "__builtins__")
    fake = type("Fake", (FakeProxy,), {function.__name__: function})
    found = drift(fake, Service)
    if problem is None:
        assert found == []
    else:
        assert len(found) == 1 and problem in found[0], found


def test_a_fake_method_answers_directly_and_through_call_async():
    class Fake(FakeProxy):
        def lookup(self, identity, filters=None, page=1):
            return (identity, filters, page)

    fake = Fake()
    assert fake.lookup(1, page=2) == fake.lookup.call_async(1, page=2).result() == (1, None, 2)
    assert str(inspect.signature(fake.lookup)) == "(identity, filters=None, page=1)"


def test_a_function_put_in_place_of_a_method_keeps_its_parameters():
    class Fake(FakeProxy):
        def lookup(self, identity, filters=None):
            return identity

    fake = Fake()
    fake.lookup = lambda identity, filters=None: "replaced"
    assert fake.lookup(1) == "replaced"
    with pytest.raises(TypeError, match="lookup takes"):
        fake.lookup = lambda identity: None
