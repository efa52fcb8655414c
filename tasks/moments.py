"""Due dates as the contract takes them: an instant, a floating wall-clock time, or a date.

Stored as a timestamptz (sortable as is: a floating time and a date are stored as if
they were UTC) plus the kind, which tasks.sql uses to show each back the way it
was given.
"""
import datetime
import re
from typing import NamedTuple

from .models import MomentKind

_DATE = r"(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})"
_TIME = r"T(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.(?P<fraction>\d{1,6}))?)?"
_OFFSET = r"(?P<offset>Z|z|[+-]\d{2}:\d{2})"
MOMENT = re.compile(rf"{_DATE}(?:{_TIME}{_OFFSET}?)?")

# MOMENT as /openapi.json states it, calendar included, so a schema-driven client (or the
# fuzzer) only sends what parse_moment takes: real dates (29 February in leap years only),
# hours 00-23, offsets up to 23:59, and no offset that moves 0001-01-01 or 9999-12-31 out
# of range (offsets need a year 0002-9998). ASCII digits: `\d` also takes other scripts'.
_YEAR = "(?:000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})"
_INNER_YEAR = "(?:000[2-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])"
_LEAP_YEAR = "(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:0[48]|[2468][048]|[13579][26])00)"
_MONTH_DAY = "(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)|(?:0[13578]|1[02])-31)"
_SCHEMA_TIME = "T(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\\.[0-9]{1,6})?)?"


def _schema_date(year: str) -> str:
    return f"(?:{year}-{_MONTH_DAY}|{_LEAP_YEAR}-02-29)"


SCHEMA_PATTERN = (f"^(?:{_schema_date(_YEAR)}(?:{_SCHEMA_TIME}[Zz]?)?"
                  f"|{_schema_date(_INNER_YEAR)}{_SCHEMA_TIME}[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])?$")
SHAPE_HINT = "expected YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS[.ffffff]], or that with Z or an offset"


class Moment(NamedTuple):
    value: datetime.datetime | None
    kind: str | None


CLEARED = Moment(None, None)


def parse_moment(text: str) -> Moment:
    """The moment `text` names; ValueError with Pydantic's wording of the reason."""
    match = MOMENT.fullmatch(text)
    if match is None:
        raise ValueError(SHAPE_HINT)
    parts = match.groupdict()
    try:
        day = datetime.date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
        if parts["hour"] is None:
            return Moment(datetime.datetime(day.year, day.month, day.day, tzinfo=datetime.timezone.utc), MomentKind.DATE)
        wall = datetime.datetime(
            day.year, day.month, day.day, int(parts["hour"]), int(parts["minute"]), int(parts["second"] or 0),
            int((parts["fraction"] or "0").ljust(6, "0")),
        )
        if parts["offset"] is None:
            return Moment(wall.replace(tzinfo=datetime.timezone.utc), MomentKind.FLOATING)
        offset = parts["offset"].upper()
        if offset == "Z":
            return Moment(wall.replace(tzinfo=datetime.timezone.utc), MomentKind.INSTANT)
        sign = 1 if offset[0] == "+" else -1
        hours, minutes = int(offset[1:3]), int(offset[4:6])
        if hours > 23 or minutes > 59:
            raise ValueError("timezone offset is outside expected range")
        zone = datetime.timezone(sign * datetime.timedelta(hours=hours, minutes=minutes))
        return Moment(wall.replace(tzinfo=zone).astimezone(datetime.timezone.utc), MomentKind.INSTANT)
    except OverflowError as exc:  # an offset that moves year 1 or 9999 out of range
        raise ValueError("value is outside the supported range") from exc
