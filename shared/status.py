"""Request and group states and their Russian names (manual §4.3, §5.3)."""

SENT, ANSWERED, ERROR = "sent", "answered", "error"
STATUSES = (SENT, ANSWERED, ERROR)

LABELS = {SENT: "Отправлен", ANSWERED: "Получен Ответ", ERROR: "Ошибка"}
GROUP_LABELS = {**LABELS, ANSWERED: "Получен ответ"}  # a group's journal says «Получен ответ»


def label(status: str) -> str:
    return LABELS.get(status, status)


def group_label(status: str) -> str:
    return GROUP_LABELS.get(status, status)
