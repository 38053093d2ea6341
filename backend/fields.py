"""Fields for what people type: one line, several lines, a phone number, a moment in
Shanghai time, a row's id. Each trims, refuses control characters, and keeps one form."""

from __future__ import annotations

from datetime import UTC

import marshmallow as ma

from backend.clock import SHANGHAI
from backend.db import MAX_ID
from backend.i18n import reason
from backend.text import NOT_IN_A_LINE, NOT_IN_TEXT, phone_number


class Line(ma.fields.String):
    """One line typed by a person (a name, a title, a number off a paper): the spaces
    around it are dropped before its length is checked, and control characters refused."""

    def _deserialize(self, value, attr, data, **kwargs):
        line = super()._deserialize(value, attr, data, **kwargs).strip()
        if NOT_IN_A_LINE.search(line):
            raise ma.ValidationError(
                reason(
                    "not_one_line", "must be one line, without line breaks or control characters"
                )
            )
        return line


class Phone(Line):
    """A phone number as people type it, kept in one form (backend.text.phone_number): a
    mobile, or with `landline=True` a landline too."""

    def __init__(self, *, landline: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.landline = landline

    def _deserialize(self, value, attr, data, **kwargs):
        number = phone_number(
            super()._deserialize(value, attr, data, **kwargs), landline=self.landline
        )
        if number is None:
            raise ma.ValidationError(reason("not_a_phone_number", "not a phone number"))
        return number


class Text(ma.fields.String):
    """Text typed by a person, over several lines: trimmed, control characters refused."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if NOT_IN_TEXT.search(text):
            raise ma.ValidationError(
                reason("control_characters", "must not contain control characters")
            )
        return text


class Moment(ma.fields.AwareDateTime):
    """A date and time typed by a person; without an offset it is Shanghai time.

    Kept as UTC, so a moment that has no UTC equivalent (the calendar's last evening
    west of Greenwich) is refused here, naming the field, instead of failing in the
    database.
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("default_timezone", SHANGHAI)
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            return moment.astimezone(UTC)
        except OverflowError:
            raise ma.ValidationError(
                reason("date_out_of_range", "out of the range of dates this service keeps")
            ) from None


def row_id_field(**kwargs) -> ma.fields.Integer:
    """A body or query field that names a row by its id."""
    return ma.fields.Integer(validate=ma.validate.Range(min=1, max=MAX_ID), **kwargs)
