"""The input and output shapes of tasks and tags (their strict fields: tasks.fields).

Validation errors carry Pydantic v2's `type` names and messages, so a frontend written
for the FastAPI original reads our 422 bodies unchanged (tasks.handlers renders them).
"""
from collections.abc import Mapping
from typing import Any

from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.settings import api_settings

from .fields import (ColorField, IdField, MomentField, StrictBooleanField, StrictCharField, StrictChoiceField,
                     TagNamesField)
from .models import MAX_SUBJECT_LENGTH, MAX_TAG_NAME_LENGTH, Priority, Recurrence


class ObjectBodyMixin:
    """JSON that is not an object (null, an array, a number) is FastAPI's
    model_attributes_type error at ["body"]."""

    def run_validation(self, data: Any = serializers.empty) -> Any:
        if not isinstance(data, Mapping):
            message = "Input should be a valid dictionary or object to extract fields from"
            raise ValidationError(
                {api_settings.NON_FIELD_ERRORS_KEY: [ErrorDetail(message, code="model_attributes_type")]}
            )
        return super().run_validation(data)  # type: ignore[misc]


class TaskSerializer(ObjectBodyMixin, serializers.Serializer):
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
    priority = StrictChoiceField(Priority.values, required=False)
    due_date = MomentField()
    recurrence_pattern = StrictChoiceField(Recurrence.values, clearable=True, required=False)
    recurrence_end_date = MomentField()
    tags = TagNamesField()

    def get_fields(self) -> dict[str, serializers.Field]:
        # DRF's deep copy re-runs every field's __init__ (0.14 of a create's 0.85 ms CPU,
        # bench/RESULTS.md). Shallow is enough: these fields keep no request state, bind()
        # gives each copy its own name and parent, and messages and validators are only read.
        return {name: shallow_copy(field) for name, field in self._declared_fields.items()}


def shallow_copy(field: serializers.Field) -> serializers.Field:
    """What copy.copy makes of a field (a new instance holding the same attributes), without
    its trip through __reduce_ex__ and copyreg: the twelve fields of a task took 27 µs with
    copy.copy, 7 µs so (issue 21, bench/RESULTS.md, "2026-12-04, later"). DRF fields keep
    everything in their __dict__ (no __slots__, no __copy__ of their own); Field.__new__'s
    `_args`/`_kwargs` come along with it, as they do with copy.copy."""
    new = object.__new__(type(field))
    new.__dict__.update(field.__dict__)
    return new


class TagSerializer(ObjectBodyMixin, serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = StrictCharField(min_length=1, max_length=MAX_TAG_NAME_LENGTH)
    color = ColorField()
    created_at = serializers.DateTimeField(read_only=True)


class TaskTagSerializer(ObjectBodyMixin, serializers.Serializer):
    tag_id = IdField()
