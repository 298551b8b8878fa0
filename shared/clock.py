"""The one clock for dates a user sees: Moscow time (Europe/Moscow), whatever TZ the process runs in.

Rules, form defaults, journal periods, exports and pages ask here for «now» and «today».
Stored instants stay in UTC (datetime.now(timezone.utc)); tests/unit/test_clock_usage.py keeps
bare date.today() / datetime.now() out of the code.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MOSCOW = ZoneInfo("Europe/Moscow")


def now() -> datetime:
    """The current moment, an aware datetime in Moscow time."""
    return datetime.now(MOSCOW)


def today() -> date:
    """The current date in Moscow."""
    return now().date()


def to_moscow(moment: datetime) -> datetime:
    """An instant in Moscow time; a naive datetime is taken as UTC (the way instants are stored)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(MOSCOW)


def day_start(day: date) -> datetime:
    """Midnight at the start of a Moscow date, as an aware datetime."""
    return datetime.combine(day, time.min, MOSCOW)


def day_bounds(date_from: date | None, date_to: date | None) -> tuple[datetime | None, datetime | None]:
    """Inclusive Moscow dates -> the [start, end) instants they cover; None for an open side."""
    start = day_start(date_from) if date_from else None
    end = day_start(date_to + timedelta(days=1)) if date_to else None
    return start, end
