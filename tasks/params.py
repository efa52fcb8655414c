"""Path and query parameters read as the FastAPI original read them: integers of ASCII
digits, Pydantic v2's error types and messages, at ["path" | "query", name]."""
import re
from typing import Any

from django.http import QueryDict

from .exceptions import RequestValidationError, error_item
from .models import MAX_ID

# One grammar for every integer parameter: an optional sign, then ASCII digits (Python's
# int() would also take "１", " 1" and "1_0"). A `limit` takes no sign at all.
INTEGER = re.compile(r"([+-]?)([0-9]+)")
INT_PARSING = "Input should be a valid integer, unable to parse string as an integer"


def path_id(raw: str, name: str) -> int | None:
    """The id in the path (`task_id`, `tag_id`); None when no row can have it (zero,
    negative, beyond bigint), so `pk and query(pk)` is None for those without asking the
    database. 422 when it is not an integer."""
    match = INTEGER.fullmatch(raw)
    if not match:
        raise RequestValidationError.at(["path", name], INT_PARSING, "int_parsing")
    sign, digits = match[1], match[2].lstrip("0")
    if sign == "-" or not digits or len(digits) > len(str(MAX_ID)):
        return None
    value = int(digits)
    return value if value <= MAX_ID else None


def limit_errors(params: QueryDict, maximum: int) -> tuple[int | None, list[dict[str, Any]]]:
    """`limit`, 1..maximum (None when absent; a repeated one counts by its last value),
    and its errors: ASCII digits only, no sign and no space (`+5` and `-1` are no limit)."""
    if "limit" not in params:
        return None, []
    raw = params.getlist("limit")[-1]
    match = INTEGER.fullmatch(raw)
    if not match or match[1]:
        return None, [error_item(["query", "limit"], INT_PARSING, "int_parsing")]
    # Past 19 digits it is too large anyway (and int() refuses 4,300 digits).
    value = int(raw) if len(raw) <= 19 else maximum + 1
    if value < 1:
        return None, [error_item(["query", "limit"], "Input should be greater than or equal to 1", "greater_than_equal")]
    if value > maximum:
        return None, [error_item(["query", "limit"], f"Input should be less than or equal to {maximum}", "less_than_equal")]
    return value, []
