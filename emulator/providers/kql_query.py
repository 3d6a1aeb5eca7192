"""Recursive-descent parser for the emulator's KQL subset and the query pipeline it builds."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from emulator.providers.kql import (
    _TABLES,
    _UNSUPPORTED_OPERATORS,
    Expr,
    KqlError,
    Row,
    Token,
    _unquote,
    binary,
    call,
    membership,
    path,
    tokenize,
)

RESOURCE_COLUMNS = (
    "id", "name", "type", "tenantId", "kind", "location", "resourceGroup", "subscriptionId",
    "managedBy", "sku", "plan", "properties", "tags", "identity", "zones", "extendedLocation",
)  # fmt: skip
_COMPARE = {"==", "!=", "=~", "!~", "<", ">", "<=", ">="}
_TEXT = {
    "contains",
    "!contains",
    "startswith",
    "!startswith",
    "endswith",
    "!endswith",
    "has",
    "!has",
}
_IN = {"in", "in~", "!in", "!in~"}

Stage = Callable[[list[Row]], list[Row]]


@dataclass
class Query:
    """A parsed query: its table, pipeline stages and the output columns."""

    table: str
    stages: list[Stage] = field(default_factory=list)
    columns: list[str] = field(default_factory=lambda: list(RESOURCE_COLUMNS))

    def run(self, rows: list[Row]) -> list[Row]:
        """Return the rows after every stage (where, project, order, limit)."""
        for stage in self.stages:
            rows = stage(rows)
        return rows


class _Parser:
    def __init__(self, text: str, now: datetime | None) -> None:
        self.tokens = tokenize(text)
        self.i = 0
        self.columns: list[str] = list(RESOURCE_COLUMNS)
        self.now = now or datetime.now(UTC)

    def peek(self, offset: int = 0) -> Token | None:
        j = self.i + offset
        return self.tokens[j] if j < len(self.tokens) else None

    def at(self, *texts: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.kind != "str" and tok.text in texts

    def take(self, *texts: str) -> Token:
        tok = self.peek()
        if tok is None or (texts and (tok.kind == "str" or tok.text not in texts)):
            where = f"'{tok.text}' at {tok.pos}" if tok else "end of query"
            want = " or ".join(repr(t) for t in texts) if texts else "a token"
            raise KqlError("ParserFailure", f"Expected {want}, found {where}.")
        self.i += 1
        return tok

    # --- pipeline -------------------------------------------------------------------------
    def query(self) -> Query:
        first = self.peek()
        if first is None:
            raise KqlError("ParserFailure", "The query is empty.")
        table = "Resources"
        if first.kind == "ident" and first.text not in {"where", "project", "order", "sort"}:
            if first.text not in _TABLES:
                raise KqlError("UnknownTable", f"Table '{first.text}' is not supported.")
            self.i += 1
            table = _TABLES[first.text]
        else:
            self.tokens.insert(0, Token("op", "|", 0))  # ARG accepts a leading operator
        query = Query(table)
        while self.peek() is not None:
            self.take("|")
            query.stages.append(self.operator())
        query.columns = self.columns
        return query

    def operator(self) -> Stage:
        tok = self.take()
        name = tok.text
        if name == "where":
            cond = self.expr()
            return lambda rows: [r for r in rows if cond(r) is True]
        if name == "project":
            return self.project()
        if name == "extend":
            return self.extend()
        if name == "summarize":
            return self.summarize()
        if name in {"order", "sort"}:
            self.take("by")
            return self.order()
        if name in {"limit", "take"}:
            count = self.take()
            if count.kind != "num" or "." in count.text:
                raise KqlError("ParserFailure", f"'{name}' expects a row count.")
            return lambda rows: rows[: int(count.text)]
        if name in _UNSUPPORTED_OPERATORS or name.replace("-", "") in _UNSUPPORTED_OPERATORS:
            raise KqlError(
                "UnsupportedByEmulator",
                f"The local ARM emulator does not support the '{name}' operator.",
            )
        raise KqlError("ParserFailure", f"Unknown query operator '{name}' at {tok.pos}.")

    def project(self) -> Stage:
        items = self.named_items()
        self.columns = [n for n, _ in items]
        return lambda rows: [{n: e(r) for n, e in items} for r in rows]

    def named_items(self, prefix: str = "Column") -> list[tuple[str, Expr]]:
        """Parse `[alias =] expr, ...` naming unaliased items like Kusto."""
        items: list[tuple[str, Expr]] = []
        unnamed = 0
        while True:
            following = self.peek(1)
            if self.at_ident() and following is not None and following.text == "=":
                alias = self.take().text
                self.take("=")
                items.append((alias, self.expr()))
            else:
                start = self.i
                expr = self.expr()
                name = self.auto_name(start)
                if name is None:
                    unnamed += 1
                    name = f"{prefix}{unnamed}"
                items.append((name, expr))
            if not self.at(","):
                return items
            self.take(",")

    def extend(self) -> Stage:
        items = self.named_items()
        self.columns = [c for c in self.columns if c not in {n for n, _ in items}]
        self.columns += [n for n, _ in items]
        return lambda rows: [{**r, **{n: e(r) for n, e in items}} for r in rows]

    def summarize(self) -> Stage:
        aggregates: list[tuple[str, Callable[[list[Row]], Any]]] = []
        while not self.at("by") and self.peek() is not None and not self.at("|"):
            aggregates.append(self.aggregate())
            if self.at(","):
                self.take(",")
        keys: list[tuple[str, Expr]] = []
        if self.at("by"):
            self.take("by")
            keys = self.named_items()
        self.columns = [n for n, _ in keys] + [n for n, _ in aggregates]

        def run(rows: list[Row]) -> list[Row]:
            groups: dict[str, tuple[Row, list[Row]]] = {}
            for row in rows:
                values = {n: e(row) for n, e in keys}
                group = groups.setdefault(repr(sorted(values.items())), (values, []))
                group[1].append(row)
            return [{**v, **{n: agg(members) for n, agg in aggregates}}
                    for v, members in groups.values()]  # fmt: skip

        return run

    def aggregate(self) -> tuple[str, Callable[[list[Row]], Any]]:
        alias = None
        following = self.peek(1)
        if self.at_ident() and following is not None and following.text == "=":
            alias = self.take().text
            self.take("=")
        func = self.take().text
        if func not in _AGGREGATES:
            raise KqlError("UnsupportedByEmulator", f"Aggregation '{func}' is not supported.")
        self.take("(")
        start = self.i
        arg = None if self.at(")") else self.expr()
        column = self.auto_name(start) or ""
        self.take(")")
        return alias or f"{func}_{column}", _AGGREGATES[func](arg)

    def at_ident(self) -> bool:
        tok = self.peek()
        return tok is not None and tok.kind == "ident"

    def auto_name(self, start: int) -> str | None:
        parts: list[str] = []
        for tok in self.tokens[start : self.i]:
            if tok.kind == "ident":
                parts.append(tok.text)
            elif tok.kind in {"str", "num"}:
                parts.append(_unquote(tok.text) if tok.kind == "str" else tok.text)
            elif tok.text not in {".", "[", "]"}:
                return None
        return "_".join(parts)

    def order(self) -> Stage:
        keys: list[tuple[Expr, bool]] = []
        while True:
            expr = self.expr()
            descending = True  # KQL sorts descending unless told otherwise
            if self.at("asc", "desc"):
                descending = self.take().text == "desc"
            keys.append((expr, descending))
            if not self.at(","):
                break
            self.take(",")
        return lambda rows: _sort(rows, keys)

    # --- expressions ------------------------------------------------------------------------
    def expr(self) -> Expr:
        left = self.conjunction()
        while self.at("or"):
            self.take()
            right = self.conjunction()
            left = _either(left, right)
        return left

    def conjunction(self) -> Expr:
        left = self.comparison()
        while self.at("and"):
            self.take()
            right = self.comparison()
            left = _both(left, right)
        return left

    def comparison(self) -> Expr:
        left = self.operand()
        if self.at(*_COMPARE, *_TEXT):
            op = self.take().text
            return binary(op, left, self.operand())
        if self.at(*_IN):
            op = self.take().text
            return membership(op, left, self.expr_list())
        if self.at("="):
            raise KqlError("ParserFailure", "Use '==' (or '=~') to compare, not '='.")
        return left

    def expr_list(self) -> list[Expr]:
        self.take("(")
        items = [self.operand()]
        while self.at(","):
            self.take(",")
            items.append(self.operand())
        self.take(")")
        return items

    def operand(self) -> Expr:
        tok = self.peek()
        if tok is None:
            raise KqlError("ParserFailure", "Unexpected end of query.")
        if tok.kind == "str":
            self.i += 1
            value: Any = _unquote(tok.text)
            return lambda row: value
        if tok.kind == "num":
            self.i += 1
            number = float(tok.text) if "." in tok.text else int(tok.text)
            return lambda row: number
        if tok.text == "(":
            self.take("(")
            inner = self.expr()
            self.take(")")
            return inner
        if tok.kind == "ident":
            return self.name_or_call()
        raise KqlError("ParserFailure", f"Unexpected '{tok.text}' at {tok.pos}.")

    def name_or_call(self) -> Expr:
        name = self.take().text
        if name in {"true", "false"}:
            flag = name == "true"
            return lambda row: flag
        if name == "now" and self.at("("):
            self.take("(")
            self.take(")")
            moment = self.now
            return lambda row: moment
        if self.at("("):
            self.take("(")
            args: list[Expr] = []
            while not self.at(")"):
                args.append(self.expr())
                if not self.at(")"):
                    self.take(",")
            self.take(")")
            result = call(name, args)
            steps = self.steps()
            if not steps:
                return result
            # split(...)[0], parse_json(x).field: index into the call's value.
            return lambda row: path("value", steps)({"value": result(row)})
        if name not in self.columns:
            raise KqlError(
                "FailedToResolveColumn",
                f"Failed to resolve column or scalar expression named '{name}'.",
            )
        return path(name, self.steps())

    def steps(self) -> list[str | int]:
        steps: list[str | int] = []
        while self.at(".", "["):
            if self.take().text == ".":
                steps.append(self.take().text)
                continue
            tok = self.take()
            steps.append(_unquote(tok.text) if tok.kind == "str" else int(tok.text))
            self.take("]")
        return steps


def _either(a: Expr, b: Expr) -> Expr:
    return lambda row: a(row) is True or b(row) is True


def _both(a: Expr, b: Expr) -> Expr:
    return lambda row: a(row) is True and b(row) is True


def _sort_key(value: Any) -> tuple[int, Any]:
    if isinstance(value, bool):
        return (1, int(value))
    if isinstance(value, int | float):
        return (1, value)
    if isinstance(value, str):
        return (2, value)
    return (3, str(value))


def _sort(rows: list[Row], keys: Sequence[tuple[Expr, bool]]) -> list[Row]:
    ordered = list(rows)
    for expr, descending in reversed(keys):
        present = [r for r in ordered if expr(r) is not None]
        missing = [r for r in ordered if expr(r) is None]
        present.sort(key=lambda r, e=expr: _sort_key(e(r)), reverse=descending)  # type: ignore[misc]
        # KQL puts nulls first ascending and last descending.
        ordered = present + missing if descending else missing + present
    return ordered


def _count(arg: Expr | None) -> Callable[[list[Row]], Any]:
    return lambda rows: sum(1 for r in rows if arg is None or arg(r) is not None)


def _dcount(arg: Expr | None) -> Callable[[list[Row]], Any]:
    if arg is None:
        raise KqlError("ParserFailure", "dcount() expects an argument.")
    return lambda rows: len({repr(arg(r)) for r in rows if arg(r) is not None})


def _extreme(pick: Callable[..., Any]) -> Callable[[Expr | None], Callable[[list[Row]], Any]]:
    def make(arg: Expr | None) -> Callable[[list[Row]], Any]:
        if arg is None:
            raise KqlError("ParserFailure", "min()/max() expect an argument.")

        def run(rows: list[Row]) -> Any:
            values = [arg(r) for r in rows if arg(r) is not None]
            return pick(values) if values else None

        return run

    return make


_AGGREGATES: dict[str, Callable[[Expr | None], Callable[[list[Row]], Any]]] = {
    "count": _count,
    "dcount": _dcount,
    "min": _extreme(min),
    "max": _extreme(max),
}


def parse(text: str, now: datetime | None = None) -> Query:
    """Return the parsed query (`now()` = `now`); raise KqlError outside the supported subset."""
    return _Parser(text, now).query()
