"""ISO-8601 durations as municipal deadlines use them: calendar-aware, never a float of seconds.

`P3M` from 31 January is 30 April (the month end is clamped), not "90 days later". A duration keeps its
calendar parts so a timer lands on the date a case worker expects; `approx_days` exists only for the
simulator and for comparing durations.
"""

from __future__ import annotations

import calendar
import functools
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

_ISO = re.compile(
    r"^P(?!$)(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$"
)
DAYS_PER_MONTH = 365.2425 / 12
MAX_YEARS = 100  # longer is a typo, and would overflow `datetime` when a timer is armed


class DurationError(ValueError):
    """A text that is not an ISO-8601 duration such as P10W, P3M, P1Y or PT30S."""


@dataclass(frozen=True, slots=True)
class Duration:
    years: int = 0
    months: int = 0
    weeks: int = 0
    days: int = 0
    hours: int = 0
    minutes: int = 0
    seconds: int = 0

    @classmethod
    def parse(cls, text: str) -> Duration:
        if not isinstance(text, str):
            raise DurationError(f"{text!r} is not an ISO-8601 duration (a text such as P10W)")
        return _parse(text)

    @classmethod
    def _parse(cls, text: str) -> Duration:
        match = _ISO.match(text.strip().upper())
        if match is None:
            raise DurationError(
                f"{text!r} is not an ISO-8601 duration (examples: P10W, P3M, P1Y, P2DT12H, PT30S)"
            )
        parts = {k: int(v) for k, v in match.groupdict().items() if v is not None}
        duration = cls(**parts)
        if duration.approx_seconds() == 0:
            raise DurationError(f"{text!r} is zero: a deadline or timer needs a positive duration")
        if duration.approx_days() > MAX_YEARS * 12 * DAYS_PER_MONTH:
            raise DurationError(f"{text!r} is longer than {MAX_YEARS} years")
        return duration

    def iso(self) -> str:
        date = "".join(
            f"{value}{unit}"
            for value, unit in (
                (self.years, "Y"),
                (self.months, "M"),
                (self.weeks, "W"),
                (self.days, "D"),
            )
            if value
        )
        time = "".join(
            f"{value}{unit}"
            for value, unit in ((self.hours, "H"), (self.minutes, "M"), (self.seconds, "S"))
            if value
        )
        return "P" + date + (f"T{time}" if time else "")

    def __str__(self) -> str:
        return self.iso()

    def approx_seconds(self) -> float:
        days = (self.years * 12 + self.months) * DAYS_PER_MONTH + self.weeks * 7 + self.days
        return days * 86400 + self.hours * 3600 + self.minutes * 60 + self.seconds

    def approx_days(self) -> float:
        return self.approx_seconds() / 86400

    def add_to(self, moment: datetime) -> datetime:
        """Calendar arithmetic: years and months first (clamping to the month end), then the rest."""
        total_months = moment.month - 1 + self.months + 12 * self.years
        year, month = moment.year + total_months // 12, total_months % 12 + 1
        day = min(moment.day, calendar.monthrange(year, month)[1])
        shifted = moment.replace(year=year, month=month, day=day)
        return shifted + timedelta(
            weeks=self.weeks,
            days=self.days,
            hours=self.hours,
            minutes=self.minutes,
            seconds=self.seconds,
        )


# A duration is immutable and a definition's few texts are parsed at every timer a trajectory
# arms: parse each once (a refusal is not remembered, and raises again).
_parse = functools.lru_cache(maxsize=1024)(Duration._parse)


def normalise(text: str) -> str:
    """Validate a duration text and return its canonical spelling (P1Y2M, never p1y2m0d)."""
    return Duration.parse(text).iso()
