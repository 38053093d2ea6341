"""The language a response speaks: Chinese unless the caller asks for English.

Messages are written in English in the code (the catalog's msgids, with %(name)s for
values) and said in the caller's language when a response is written; the Chinese
catalog is backend/translations/zh. A message a frontend may act on also carries a
stable `key` (snake_case) that never changes with the wording or the language.

marshmallow's own messages ("Not a valid string.") get their keys here too: each is
replaced, once at import, by a `Reason` carrying the key, which marshmallow formats as
it would a string (the values go in after the wording is translated).
"""

from __future__ import annotations

import inspect
import re

import flask_babel
import marshmallow as ma
from flask import has_request_context, request
from marshmallow import validate

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
TRANSLATIONS = "translations"  # beside this module


class Reason(str):
    """A message about one field with its stable key: English until it is `said` (in the
    reader's language, its values put in)."""

    def __new__(cls, text: str, key: str, said: bool = False, params: dict | None = None):
        reason = super().__new__(cls, text)
        reason.key, reason.said, reason.params = key, said, params
        return reason

    def __reduce__(self):  # schemas deep-copy their fields' messages
        return type(self), (str(self), self.key, self.said, self.params)

    def format(self, *args, **kwargs) -> Reason:  # marshmallow puts its values in this way
        return type(self)(gettext(str(self)).format(*args, **kwargs), self.key, said=True)


class BoundsReason(Reason):
    """ "Between {min} and {max}": the key says which bound the value missed."""

    def format(self, *args, **kwargs) -> Reason:
        said = super().format(*args, **kwargs)
        value, low, high = kwargs.get("input"), kwargs.get("min"), kwargs.get("max")
        size = len(value) if self.key == "wrong_length" and value is not None else value
        if high is not None and size is not None and size > high:
            said.key = "too_long" if self.key == "wrong_length" else "too_large"
        elif low is not None and size is not None and size < low:
            said.key = "too_short" if self.key == "wrong_length" else "too_small"
        return said


class Word(str):
    """A value put into a message that is itself a word to translate (a status, a kind):
    English where the error is raised, the reader's word where it is said."""


def N_(message: str) -> str:  # noqa: N802  gettext's name for "a message, said later"
    """Marks a message for the catalog where it is not written inside the call that says it."""
    return message


def reason(key: str, message: str, **params) -> Reason:
    """Our own message about a field, said now, while the request is being read."""
    return Reason(say(message, params), key, said=True)


def language() -> str:
    if not has_request_context():
        return DEFAULT_LANGUAGE
    return request.accept_languages.best_match(LANGUAGES, default=DEFAULT_LANGUAGE)


def separator() -> str:
    """Between the reasons listed in one message."""
    return "；" if language() == "zh" else "; "


def gettext(message: str) -> str:
    return flask_babel.gettext(message) if message else message


def say(message: str, params: dict | None = None) -> str:
    """`message` (an English msgid) in the reader's language, its values put in."""
    if isinstance(message, Reason):
        if message.said:
            return str(message)
        params = message.params
    text = gettext(str(message))
    if not params:
        return text
    return text % {k: gettext(v) if isinstance(v, Word) else v for k, v in params.items()}


def init_app(app) -> None:
    flask_babel.Babel(
        app,
        default_locale=DEFAULT_LANGUAGE,
        default_translation_directories=TRANSLATIONS,
        locale_selector=language,
    )


# -- marshmallow's messages, keyed ---------------------------------------------------
# A field's message key as marshmallow names it, where a frontend needs a clearer one.
FIELD_KEYS = {
    ("String", "invalid"): "not_a_string",
    ("Integer", "invalid"): "not_an_integer",
    ("Number", "invalid"): "not_a_number",
    ("Number", "too_large"): "number_too_large",
    ("Float", "special"): "not_finite",
    ("Decimal", "special"): "not_finite",
    ("Boolean", "invalid"): "not_a_boolean",
    ("DateTime", "invalid"): "invalid_datetime",
    ("DateTime", "format"): "invalid_datetime",
    ("DateTime", "invalid_awareness"): "datetime_without_timezone",
    ("NaiveDateTime", "invalid_awareness"): "datetime_with_timezone",
    ("AwareDateTime", "invalid_awareness"): "datetime_without_timezone",
    ("Date", "invalid"): "invalid_date",
    ("Date", "format"): "invalid_date",
    ("Time", "invalid"): "invalid_time",
    ("Time", "format"): "invalid_time",
    ("TimeDelta", "invalid"): "invalid_duration",
    ("List", "invalid"): "not_a_list",
    ("Tuple", "invalid"): "not_a_list",
    ("Mapping", "invalid"): "not_an_object",
    ("Nested", "type"): "not_an_object",
    ("Url", "invalid"): "invalid_url",
    ("Email", "invalid"): "invalid_email",
    ("UUID", "invalid_uuid"): "invalid_uuid",
    ("Enum", "unknown"): "not_one_of",
    ("Field", "validator_failed"): "invalid",
}
VALIDATOR_KEYS = {
    (validate.Length, "message_min"): "too_short",
    (validate.Length, "message_max"): "too_long",
    (validate.Length, "message_all"): "wrong_length",
    (validate.Length, "message_equal"): "wrong_length",
    (validate.Range, "message_min"): "too_small",
    (validate.Range, "message_max"): "too_large",
    (validate.Range, "message_all"): "out_of_range",
    (validate.OneOf, "default_message"): "not_one_of",
    (validate.ContainsOnly, "default_message"): "not_one_of",
    (validate.NoneOf, "default_message"): "not_allowed",
    (validate.ContainsNoneOf, "default_message"): "not_allowed",
    (validate.Regexp, "default_message"): "pattern_mismatch",
    (validate.Email, "default_message"): "invalid_email",
    (validate.URL, "default_message"): "invalid_url",
    (validate.Equal, "default_message"): "not_equal",
    (validate.Predicate, "default_message"): "invalid",
}
SCHEMA_KEYS = {"type": "not_an_object", "unknown": "unknown_field"}


def _key_for(cls: type, message_key: str) -> str:
    for klass in cls.__mro__:
        if (klass.__name__, message_key) in FIELD_KEYS:
            return FIELD_KEYS[klass.__name__, message_key]
    return re.sub(r"[^a-z0-9]+", "_", message_key.lower())


def _key_marshmallow_messages() -> None:
    for _, cls in inspect.getmembers(ma.fields, inspect.isclass):
        own = cls.__dict__.get("default_error_messages")
        if issubclass(cls, ma.fields.Field) and own:
            cls.default_error_messages = {k: Reason(v, _key_for(cls, k)) for k, v in own.items()}
    for (cls, name), key in VALIDATOR_KEYS.items():
        kind = BoundsReason if name == "message_all" else Reason
        setattr(cls, name, kind(getattr(cls, name), key))
    ma.Schema._default_error_messages = {
        k: Reason(v, SCHEMA_KEYS.get(k, k)) for k, v in ma.Schema._default_error_messages.items()
    }


_key_marshmallow_messages()
