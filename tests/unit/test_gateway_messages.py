"""Issue 18 §4: the gateway's messages to users have one home, services/gateway/messages.py."""

import ast
import pathlib
import re

GATEWAY = pathlib.Path(__file__).resolve().parents[2] / "services" / "gateway"
CYRILLIC = re.compile("[\u0400-\u04ff]")
# Russian text that is not a message: form labels and choices, navigation, file names and headers.
NOT_MESSAGES = {"pages/views.py", "web/templating.py", "files/flk_report.py", "files/exports.py"}


def _russian_constants(path):
    """Module-level NAME = "…" (or a dict of such texts) with Cyrillic in it."""
    found = []
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id.isupper() for t in node.targets):
            texts = [n.value for n in ast.walk(node.value) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
            if any(CYRILLIC.search(t) for t in texts):
                found.append(node.targets[0].id)
    return found


def test_messages_live_only_in_the_messages_module():
    strays = {}
    for path in sorted(GATEWAY.rglob("*.py")):
        name = path.relative_to(GATEWAY).as_posix()
        if name != "messages.py" and name not in NOT_MESSAGES:
            strays.update({f"{name}:{c}": True for c in _russian_constants(path)})
    assert not strays, sorted(strays)


def test_the_service_away_messages_keep_the_manuals_wording():
    from services.gateway import messages

    assert messages.UNAVAILABLE == "Сервис временно недоступен. Повторите попытку через несколько минут."
    assert messages.API_UNAVAILABLE == "Сервис временно недоступен. Повторите попытку позже."
    assert messages.LOGIN_TITLE == "Ошибка аутентификации"
