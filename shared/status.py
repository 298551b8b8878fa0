"""Request states and their Russian names (manual §4.3)."""

SENT, ANSWERED, ERROR = "sent", "answered", "error"

LABELS = {SENT: "Отправлен", ANSWERED: "Получен", ERROR: "Ошибка"}


def label(status):
    return LABELS.get(status, status)
