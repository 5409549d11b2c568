"""The pages show moments on the municipality's clocks: the store keeps UTC (naive, as SQLite
and the models give it back), a Dutch case worker reads CET in winter and CEST in summer."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from traject.web.pages import local, templates


def test_a_stored_moment_is_shown_in_dutch_time() -> None:
    winter, summer = datetime(2026, 12, 7, 23, 30), datetime(2026, 7, 1, 22, 15)
    assert local(winter).strftime("%d-%m-%Y %H:%M") == "08-12-2026 00:30"  # the next day
    assert local(summer).strftime("%d-%m-%Y %H:%M") == "02-07-2026 00:15"
    assert local(winter.replace(tzinfo=UTC)) == local(winter)
    assert local(winter).utcoffset() == timedelta(hours=1)
    assert local(summer).utcoffset() == timedelta(hours=2)
    elsewhere = datetime(2026, 12, 7, 18, 0, tzinfo=timezone(timedelta(hours=-5)))
    assert local(elsewhere).strftime("%H:%M") == "00:00"


def test_the_switch_to_summer_time() -> None:
    before, after = datetime(2026, 3, 29, 0, 59), datetime(2026, 3, 29, 1, 0)
    assert (local(before).strftime("%H:%M"), local(after).strftime("%H:%M")) == ("01:59", "03:00")


def test_a_date_is_left_as_it_is_and_the_templates_have_the_filter() -> None:
    assert local(date(2026, 12, 7)) == date(2026, 12, 7)
    assert local(None) is None
    shown = templates.env.from_string('{{ (at | local).strftime("%H:%M") }}')
    assert shown.render(at=datetime(2026, 1, 5, 8, 0)) == "09:00"
