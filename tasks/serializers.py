"""The Task's input and output shapes.

Validation errors carry Pydantic v2's `type` names and messages, so a frontend written
for the FastAPI original reads our 422 bodies unchanged (tasks.handlers renders them).
"""
from collections.abc import Mapping
from typing import Any

from django.core.validators import MaxLengthValidator, MinLengthValidator
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.settings import api_settings

from .models import MAX_SUBJECT_LENGTH, Task


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
        # The length validators are for drf-spectacular's minLength/maxLength: they run
        # after to_internal_value has applied the same limits under Pydantic's names, so
        # they never fail. A caller's own validators run after them, as on any DRF field.
        self.validators = [MaxLengthValidator(self.max_chars)] + (
            [MinLengthValidator(self.min_chars)] if self.min_chars else []) + callers

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


class TaskSerializer(serializers.Serializer):
    """A task as the API shows it, and the fields a client may write."""

    # Every field is declared (no ModelSerializer): introspecting the model again on
    # each request cost more than validating the body did.

    id = serializers.IntegerField(read_only=True)
    user_id = serializers.CharField(read_only=True, max_length=MAX_SUBJECT_LENGTH)
    title = StrictCharField(min_length=1, max_length=200)
    description = StrictCharField(max_length=10_000, allow_null=True, required=False, trim_whitespace=False)
    is_completed = StrictBooleanField(required=False)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def create(self, validated_data: dict[str, Any]) -> Task:
        return Task.objects.create(**validated_data)

    def run_validation(self, data: Any = serializers.empty) -> Any:
        # JSON that is not an object (null, an array, a number) is FastAPI's
        # model_attributes_type error at ["body"].
        if not isinstance(data, Mapping):
            message = "Input should be a valid dictionary or object to extract fields from"
            raise ValidationError(
                {api_settings.NON_FIELD_ERRORS_KEY: [ErrorDetail(message, code="model_attributes_type")]}
            )
        return super().run_validation(data)
