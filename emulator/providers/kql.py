"""Parser and evaluator for the KQL subset the emulator's Resource Graph understands."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

Row = dict[str, Any]
Expr = Callable[[Row], Any]

_TOKEN = re.compile(
    r"""\s*(?:
    (?P<str>@?'(?:[^'\\]|\\.)*'|@?"(?:[^"\\]|\\.)*")
  | (?P<num>\d+(?:\.\d+)?)
  | (?P<op>!in~|!in\b|in~|!contains|!startswith|!endswith|!has|=~|!~|==|!=|<=|>=|[|(),.\[\]=<>])
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<bad>\S)
)""",
    re.VERBOSE,
)
_TABLES = {
    "resources": "Resources",
    "Resources": "Resources",
    "ServiceHealthResources": "ServiceHealthResources",
    "servicehealthresources": "ServiceHealthResources",
}
_UNSUPPORTED_OPERATORS = {
    "join", "union", "distinct", "count", "top", "mv-expand", "mvexpand",
    "parse", "make-series", "render", "lookup", "as", "sample", "search", "invoke", "let",
}  # fmt: skip


class KqlError(ValueError):
    """A query the emulator refuses: `code` is the ARG detail code (ParserFailure, ...)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Token:
    """One lexical token: kind (str, num, op, ident) and its text."""

    kind: str
    text: str
    pos: int


def tokenize(text: str) -> list[Token]:
    """Return the tokens of `text`; raise KqlError(ParserFailure) on a stray character."""
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            break
        kind = match.lastgroup or "bad"
        value = match.group(kind)
        if kind == "bad":
            raise KqlError(
                "ParserFailure", f"Unexpected character {value!r} at {match.start(kind)}"
            )
        tokens.append(Token(kind, value, match.start(kind)))
        pos = match.end()
    return tokens


def _unquote(raw: str) -> str:
    verbatim = raw.startswith("@")
    body = raw[2:-1] if verbatim else raw[1:-1]
    if verbatim:
        return body
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


def tostring(value: Any) -> str:
    """KQL tostring(): null gives "", dynamic objects give compact JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _is_empty(value: Any) -> bool:
    return value is None or value in ("", [], {})


def _eq(left: Any, right: Any, fold: bool) -> bool | None:
    if left is None or right is None:
        return None
    if isinstance(left, int | float) and isinstance(right, int | float):
        return bool(left == right)
    a, b = tostring(left), tostring(right)
    return a.lower() == b.lower() if fold else a == b


_TICKS_AT_EPOCH = 621355968000000000


def todatetime(value: Any) -> datetime | None:
    """KQL todatetime(): datetimes as they are, ISO text parsed, numbers read as .NET ticks."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return datetime.fromtimestamp((value - _TICKS_AT_EPOCH) / 10_000_000, UTC)
    text = tostring(value).replace("Z", "+00:00")
    head, dot, rest = text.partition(".")
    if dot:
        digits = "".join(c for c in rest if c.isdigit())
        text = f"{head}.{digits[:6]}{rest[len(digits) :]}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def tolong(value: Any) -> int | None:
    """KQL tolong(): numbers truncated, numeric text parsed, datetimes as ticks, else null."""
    if isinstance(value, datetime):
        return _TICKS_AT_EPOCH + int(value.timestamp() * 10_000_000)
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return int(value)
    try:
        return int(float(tostring(value))) if value is not None else None
    except ValueError:
        return None


def _split(text: Any, delimiter: Any, index: Any = None) -> list[str] | None:
    parts = tostring(text).split(tostring(delimiter))
    if index is None:
        return parts
    at = int(index)
    return [parts[at]] if -len(parts) <= at < len(parts) else []


def parse_json(value: Any) -> Any:
    """KQL parse_json(): text is decoded when it is JSON, dynamic values pass through."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _cmp(op: str, left: Any, right: Any) -> bool:
    if isinstance(left, datetime) or isinstance(right, datetime):
        left, right = todatetime(left), todatetime(right)
        if left is None or right is None:
            return False
        return bool({"<": left < right, ">": left > right, "<=": left <= right,
                     ">=": left >= right}[op])  # fmt: skip
    if not (isinstance(left, int | float) and isinstance(right, int | float)):
        if left is None or right is None:
            return False
        left, right = tostring(left), tostring(right)
    results = {"<": left < right, ">": left > right, "<=": left <= right, ">=": left >= right}
    return bool(results[op])


def _text_match(op: str, left: Any, right: Any) -> bool:
    a, b = tostring(left).lower(), tostring(right).lower()
    if op.endswith("contains"):
        return b in a
    if op.endswith("startswith"):
        return a.startswith(b)
    if op.endswith("endswith"):
        return a.endswith(b)
    return re.search(rf"(?<![a-z0-9]){re.escape(b)}(?![a-z0-9])", a) is not None


def binary(op: str, left: Expr, right: Expr) -> Expr:
    """Return the evaluator of `left op right` (null compares false; its negation true)."""
    negate = op.startswith("!")
    base = op.lstrip("!")
    if base in {"=", "==", "=~", "~"}:
        fold = op in {"=~", "!~"}

        def compare(row: Row) -> bool:
            result = _eq(left(row), right(row), fold)
            return (not result) if negate else bool(result)

        return compare
    if op in {"<", ">", "<=", ">="}:
        return lambda row: _cmp(op, left(row), right(row))

    def match(row: Row) -> bool:
        value = left(row)
        found = value is not None and _text_match(base, value, right(row))
        return (not found) if negate else found

    return match


def membership(op: str, left: Expr, items: Sequence[Expr]) -> Expr:
    """Return the evaluator of `left in (items)` and its ~ / ! variants."""
    fold, negate = op.endswith("~"), op.startswith("!")

    def check(row: Row) -> bool:
        value = left(row)
        if value is None:
            return negate
        found = any(_eq(value, item(row), fold) for item in items)
        return (not found) if negate else found

    return check


FUNCTIONS: dict[str, tuple[int, Callable[..., Any]]] = {
    "tostring": (1, tostring),
    "tolower": (1, lambda v: tostring(v).lower()),
    "toupper": (1, lambda v: tostring(v).upper()),
    "isnotempty": (1, lambda v: not _is_empty(v)),
    "isempty": (1, _is_empty),
    "isnull": (1, lambda v: v is None),
    "isnotnull": (1, lambda v: v is not None),
    "not": (1, lambda v: not v),
    "strcat": (-1, lambda *vs: "".join(tostring(v) for v in vs)),
    "tolong": (1, tolong),
    "toint": (1, tolong),
    "todatetime": (1, todatetime),
    "split": (-1, _split),
    "parse_json": (1, parse_json),
    "todynamic": (1, parse_json),
}


def call(name: str, args: Sequence[Expr]) -> Expr:
    """Return the evaluator of a supported scalar function; raise KqlError for others."""
    if name not in FUNCTIONS:
        raise KqlError("UnknownFunction", f"Unknown function: '{name}'.")
    arity, fn = FUNCTIONS[name]
    if arity >= 0 and len(args) != arity:
        raise KqlError("ParserFailure", f"Function '{name}' expects {arity} argument(s).")
    return lambda row: fn(*(a(row) for a in args))


def path(column: str, steps: Sequence[str | int]) -> Expr:
    """Return the evaluator of `column.step[...]` over a row's dynamic values (missing: null)."""

    def get(row: Row) -> Any:
        value = row.get(column)
        for step in steps:
            if isinstance(step, int):
                in_range = isinstance(value, list) and -len(value) <= step < len(value)
                value = value[step] if in_range and isinstance(value, list) else None
            else:
                value = value.get(step) if isinstance(value, dict) else None
        return value

    return get
