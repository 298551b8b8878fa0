"""shared.status: the one home of the Russian names of request and group states."""

from shared.status import ANSWERED, ERROR, SENT, STATUSES, group_label, label


def test_request_and_group_labels():
    assert [label(s) for s in STATUSES] == ["Отправлен", "Получен Ответ", "Ошибка"]  # the manual (Рисунок 9, 16)
    assert [group_label(s) for s in (SENT, ANSWERED, ERROR)] == ["Отправлен", "Получен ответ", "Ошибка"]
    assert label("unknown") == group_label("unknown") == "unknown"
