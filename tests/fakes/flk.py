"""flk's RPC surface in process: the real service's methods over the real rules (services/flk/rules.py, group.py),
without a broker, so what the gateway tests are told cannot differ from what ФЛК says."""

from services.flk.service import FlkService
from tests.fakes.rpc import FakeProxy


class FakeFlk(FakeProxy):
    SERVICE = "flk"

    def ping(self):
        return FlkService.ping(self)

    def check_request(self, fields):
        return FlkService.check_request(self, fields)

    def check_group(self, content_b64, filename):
        return FlkService.check_group(self, content_b64, filename)
