"""The strict fields of tasks.serializers, DRF-style (DRF keeps its fields.py apart too).

Each takes only the JSON type it names (DRF's own fields coerce numbers to strings and
take "yes" and 1 as booleans, which the contract forbids) and fails with Pydantic v2's
`type` names and messages, so a frontend written for the FastAPI original reads our 422
bodies unchanged.
"""
import re
from typing import Any

from django.core.validators import MaxLengthValidator, RegexValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail, ValidationError

from .exceptions import literal_message
from .models import MAX_ID, MAX_TAG_NAME_LENGTH
from .moments import CLEARED, Moment, parse_moment

MAX_TAGS_PER_TASK = 50
# What str.strip() removes (every str.isspace() character), spelled out: a schema's `\s`
# is ECMA's in some tools and Python's in others, and the two differ (\x1c-\x1f, \x85, \ufeff).
STRIPPED = r"\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"


class PydanticCodesMixin:
    """Raise DRF's generic `required`/`null` failures under Pydantic's type names."""

    null_type = "string_type"

    def fail(self, key: str, **kwargs: Any) -> None:
        code = {"required": "missing", "null": self.null_type}.get(key, key)
        raise ValidationError(self.error_messages[key].format(**kwargs), code=code)


class StrictCharField(PydanticCodesMixin, serializers.CharField):
    """A string and only a string: no number-to-text coercion, no NUL, length in code points."""

    default_error_messages = {
        "required": "Field required",
        "null": "Input should be a valid string",
        "string_type": "Input should be a valid string",
        "string_too_short": "String should have at least {min_length} character",
        "string_too_long": "String should have at most {max_length} characters",
        "value_error": "Value error, String should not contain NUL characters",
    }

    def __init__(self, **kwargs: Any) -> None:
        # Length and emptiness are checked here, under Pydantic's names, not by DRF validators.
        self.min_chars = kwargs.pop("min_length", 0)
        self.max_chars = kwargs.pop("max_length")
        callers = list(kwargs.pop("validators", []))
        super().__init__(allow_blank=not self.min_chars, **kwargs)  # for the schema, as below
        # For drf-spectacular's pattern/maxLength: they run after to_internal_value has applied
        # the same rules under Pydantic's names, so they never fail. A caller's own validators
        # run after them, as on any DRF field.
        self.validators = [RegexValidator(self.schema_pattern())] + (
            [] if self.trim_whitespace else [MaxLengthValidator(self.max_chars)]) + callers

    def schema_pattern(self) -> str:
        """The rule as a pattern, so a schema-driven client (or fuzzer) reads it exactly: no NUL,
        and for trimmed fields the length of what is left after str.strip() (STRIPPED is
        the same whitespace), not of what was sent."""
        if not self.trim_whitespace:
            return r"^[^\x00]*$"
        space, solid = f"[{STRIPPED}]", f"[^{STRIPPED}\\x00]"
        if self.max_chars < 2:
            return rf"^{space}*{solid}{{{self.min_chars},{self.max_chars}}}{space}*$"
        inner = f"(?:[^\\x00]{{0,{self.max_chars - 2}}}{solid})"
        return rf"^{space}*{solid}{inner}{'?' if self.min_chars <= 1 else ''}{space}*$"

    def to_internal_value(self, data: object) -> str:
        if not isinstance(data, str):
            self.fail("string_type")
        if "\x00" in data:
            self.fail("value_error")
        value = data.strip() if self.trim_whitespace else data
        if len(value) < self.min_chars:
            self.fail("string_too_short", min_length=self.min_chars)
        if len(value) > self.max_chars:
            self.fail("string_too_long", max_length=self.max_chars)
        return value

    def run_validation(self, data: Any = serializers.empty) -> Any:
        # CharField's own run_validation turns "" into a `blank` error before
        # to_internal_value sees it; our length rule covers that case.
        (is_empty, data) = self.validate_empty_values(data)
        if is_empty:
            return data
        value = self.to_internal_value(data)
        self.run_validators(value)
        return value


class StrictBooleanField(PydanticCodesMixin, serializers.BooleanField):
    """A JSON boolean and nothing else: "yes", 1 and "true" are refused."""

    null_type = "bool_type"
    default_error_messages = {
        "required": "Field required",
        "null": "Input should be a valid boolean",
        "bool_type": "Input should be a valid boolean",
    }

    def to_internal_value(self, data: object) -> bool:
        if not isinstance(data, bool):
            self.fail("bool_type")
        return data  # type: ignore[return-value]


class StrictChoiceField(PydanticCodesMixin, serializers.ChoiceField):
    """One of a few strings, exactly (no case folding, no coercion of 1 to "1"):
    Pydantic's `literal_error` for a wrong string, `string_type` for a non-string."""

    null_type = "string_type"

    def __init__(self, choices: list[str], clearable: bool = False, **kwargs: Any) -> None:
        # A clearable field takes null and "" as "none" (the phase V form sends "").
        self.clearable = clearable
        super().__init__(choices=choices, allow_null=clearable, allow_blank=clearable, **kwargs)
        self.error_messages = {
            "required": "Field required",
            "null": "Input should be a valid string",
            "string_type": "Input should be a valid string",
            "literal_error": literal_message(choices),
        }

    def validate_empty_values(self, data: Any) -> tuple[bool, Any]:
        if self.clearable and data in (None, ""):
            return (True, None)
        return super().validate_empty_values(data)

    def to_internal_value(self, data: object) -> str:
        if not isinstance(data, str):
            self.fail("string_type")
        if data not in self.choices:
            self.fail("literal_error")
        return data  # type: ignore[return-value]

    def run_validation(self, data: Any = serializers.empty) -> Any:
        (is_empty, data) = self.validate_empty_values(data)
        return data if is_empty else self.to_internal_value(data)


class MomentField(PydanticCodesMixin, serializers.Field):
    """An instant, a floating date-time or a date (tasks.moments); null and "" clear it."""

    default_error_messages = {
        "datetime_type": "Input should be a valid datetime",
        "datetime_from_date_parsing": "Input should be a valid datetime or date, {reason}",
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, allow_null=True, **kwargs)

    def validate_empty_values(self, data: Any) -> tuple[bool, Any]:
        if data is None or data == "":
            return (True, CLEARED)
        return super().validate_empty_values(data)

    def to_internal_value(self, data: object) -> Moment:
        if not isinstance(data, str):
            self.fail("datetime_type")
        try:
            return parse_moment(data)  # type: ignore[arg-type]
        except ValueError as exc:
            self.fail("datetime_from_date_parsing", reason=str(exc))
            raise  # unreachable: fail() raises

    def to_representation(self, value: Any) -> Any:
        return value


class TagNamesField(PydanticCodesMixin, serializers.Field):
    """A list of tag names: each trimmed, 1-50 characters, duplicates counted once.
    Errors of single names are reported at ["body", "tags", index], all at once."""

    default_error_messages = {
        "list_type": "Input should be a valid list",
        "too_long": "List should have at most {max} items after validation, not {count}",
    }
    name_field = StrictCharField(min_length=1, max_length=MAX_TAG_NAME_LENGTH)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, **kwargs)

    def validate_empty_values(self, data: Any) -> tuple[bool, Any]:
        if data is None:
            self.fail("list_type")
        return super().validate_empty_values(data)

    def to_internal_value(self, data: object) -> list[str]:
        if not isinstance(data, list):
            self.fail("list_type")
        names: dict[str, None] = {}
        errors: dict[int, list[ErrorDetail]] = {}
        for index, item in enumerate(data):  # type: ignore[arg-type]
            try:
                names[self.name_field.to_internal_value(item)] = None
            except ValidationError as exc:
                errors[index] = exc.detail  # type: ignore[assignment]
        if errors:
            raise ValidationError(errors)
        if len(names) > MAX_TAGS_PER_TASK:
            self.fail("too_long", max=MAX_TAGS_PER_TASK, count=len(names))
        return list(names)

    def to_representation(self, value: Any) -> Any:
        return value


class ColorField(StrictCharField):
    """`#RRGGBB` or null."""

    PATTERN = re.compile(r"#[0-9A-Fa-f]{6}")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=7, allow_null=True, required=False, **kwargs)
        self.allow_blank = False  # "" is no color (a 422), and the schema must not offer it
        # Braces doubled: fail() formats the message.
        self.error_messages["string_pattern_mismatch"] = "String should match pattern '^#[0-9A-Fa-f]{{6}}$'"

    def to_internal_value(self, data: object) -> str:
        value = super().to_internal_value(data)
        if not self.PATTERN.fullmatch(value):
            self.fail("string_pattern_mismatch")
        return value

    def schema_pattern(self) -> str:
        return f"^{self.PATTERN.pattern}$"


class StrictIntegerField(PydanticCodesMixin, serializers.IntegerField):
    """A JSON integer and nothing else: "3", 3.0 and true are refused."""

    null_type = "int_type"
    default_error_messages = {"required": "Field required", "null": "Input should be a valid integer",
                              "int_type": "Input should be a valid integer"}

    def to_internal_value(self, data: object) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("int_type")
        return data  # type: ignore[return-value]


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IdField(StrictIntegerField):
    """An id in a body: like one in a path, a number too large for bigint is simply not
    found (the view's 404), never a 422. The JSON parser (orjson) hands integers beyond
    64 bits over as floats; an integral float that large can only name no row."""

    def to_internal_value(self, data: object) -> int:
        if isinstance(data, float) and data.is_integer() and abs(data) > MAX_ID:
            return int(data)
        return super().to_internal_value(data)
