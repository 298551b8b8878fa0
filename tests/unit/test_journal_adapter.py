"""The journal's service class is an adapter only: each entrypoint delegates in a statement or two, and the
per-process state lives in objects that dependency providers build once per process
(services.journal.dependencies), never in class attributes."""

import ast
import inspect
from unittest.mock import Mock

import pytest
from nameko.extensions import DependencyProvider

from services.journal import dependencies, service
from services.journal.crl_jobs import CrlJobs
from services.journal.dispatch import Dispatcher
from services.journal.intake import AnswerIntake
from services.journal.service import JournalService

CONFIG = {"AMQP_URI": "amqp://guest:guest@127.0.0.1:1//", "CHUNK_SIZE": 10}


def test_the_service_class_holds_no_mutable_state():
    for name, value in vars(JournalService).items():
        if name.startswith("__") or inspect.isfunction(value) or isinstance(value, DependencyProvider):
            continue
        assert isinstance(value, str | int | float | bool | tuple | type(None)), (name, type(value))


def test_every_entrypoint_is_a_statement_or_two():
    tree = ast.parse(inspect.getsource(service))
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "JournalService")
    methods = [n for n in cls.body if isinstance(n, ast.FunctionDef) and n.decorator_list]
    assert len(methods) >= 35
    for method in methods:
        body = [s for s in method.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
        assert len(body) <= 2, method.name


@pytest.mark.parametrize(
    "provider, kind",
    [(dependencies.Dispatch, Dispatcher), (dependencies.Crls, CrlJobs), (dependencies.Intake, AnswerIntake)],
)
def test_each_process_gets_one_object_shared_by_its_workers(provider, kind):
    def started():
        dependency = provider()
        dependency.container = Mock(config=CONFIG)
        dependency.setup()
        return dependency

    process = started()
    first, second = process.get_dependency(Mock()), process.get_dependency(Mock())
    assert isinstance(first, kind) and first is second
    assert started().get_dependency(Mock()) is not first  # another process (container), another object
