"""Finds SQL built from values in Python source: the static half of "every statement is
parameterized". Pure (``ast`` only); :mod:`tests.reliability.test_app_security` runs it on
the whole tree against an allow-list of the few fragments that are built on purpose.

Flagged, wherever the text looks like SQL (an upper-case keyword such as SELECT, FROM,
WHERE, AND, IN, CREATE ..., or a comparison with a ``$n`` placeholder):

* an f-string with a replacement field (``f"... WHERE id = {x}"``);
* ``%`` formatting, ``str.format`` and ``+`` concatenation of such a text with anything
  that is not a literal, whether the text is inline or a name bound to it in the module;
* whatever the text, a composed string (f-string, ``%``, ``+``, ``.format``) passed
  directly as the statement of ``execute``/``fetch``/``fetchrow``/``fetchval``/
  ``executemany``/``prepare``/``cursor``.

Each finding names the file, the enclosing function and the source of every non-literal
piece, so an allow-list entry admits exactly those pieces and nothing new.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from dataclasses import dataclass

# Upper-case keywords (the house style for SQL), or a comparison with a $n placeholder.
SQL_WORDS = re.compile(
    r"\b(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|TRUNCATE|GRANT|FROM|WHERE|JOIN|"
    r"VALUES|ORDER BY|GROUP BY|RETURNING|AND|OR|IN|ANY|EXISTS)\b|[=<>] ?\$"
)
SINKS = frozenset({"execute", "executemany", "fetch", "fetchrow", "fetchval", "prepare", "cursor"})


@dataclass(frozen=True, slots=True)
class Finding:
    path: str
    function: str  # qualified name of the enclosing def, or "<module>"
    line: int
    how: str  # f-string | percent | format | concat | sink
    pieces: tuple[str, ...]  # source of each non-literal piece


def _literal_text(node: ast.AST) -> str | None:
    """The literal text of a str constant or of an f-string's literal parts."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)
        )
    return None


def _is_literal(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.JoinedStr):
        return not any(isinstance(v, ast.FormattedValue) for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _is_literal(node.left) and _is_literal(node.right)
    return False


def _composed(node: ast.AST) -> bool:
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(v, ast.FormattedValue) for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod | ast.Add):
        return not _is_literal(node)
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
    )


def _operands(node: ast.AST) -> list[ast.AST]:
    """The leaves of a ``+`` chain."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _operands(node.left) + _operands(node.right)
    return [node]


class _Scanner(ast.NodeVisitor):
    def __init__(self, path: str, sql_names: set[str]) -> None:
        self.path = path
        self.sql_names = sql_names  # names bound to an SQL-looking literal in this module
        self.stack: list[str] = []
        self.found: list[Finding] = []
        self._reported: set[int] = set()

    def _sql(self, node: ast.AST) -> bool:
        if isinstance(node, ast.Name):
            return node.id in self.sql_names
        text = _literal_text(node)
        return text is not None and bool(SQL_WORDS.search(text))

    def _add(self, node: ast.AST, how: str, pieces: Sequence[ast.AST]) -> None:
        if id(node) in self._reported:
            return
        self._reported.add(id(node))
        function = ".".join(self.stack) or "<module>"
        sources = tuple(ast.unparse(p) for p in pieces)
        self.found.append(Finding(self.path, function, getattr(node, "lineno", 0), how, sources))

    def _scope(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        self.stack.append(node.name)
        self.generic_visit(node)
        self.stack.pop()

    visit_FunctionDef = _scope  # noqa: N815 (ast.NodeVisitor's naming)
    visit_AsyncFunctionDef = _scope  # noqa: N815
    visit_ClassDef = _scope  # noqa: N815

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        fields = [v.value for v in node.values if isinstance(v, ast.FormattedValue)]
        if fields and self._sql(node):
            self._add(node, "f-string", fields)
        self.generic_visit(node)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        if isinstance(node.op, ast.Mod) and self._sql(node.left):
            self._add(node, "percent", [node.right])
        elif isinstance(node.op, ast.Add):
            leaves = _operands(node)
            if any(self._sql(leaf) for leaf in leaves):
                values = [leaf for leaf in leaves if not _is_literal(leaf) and not self._sql(leaf)]
                if values:
                    self._add(node, "concat", values)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute):
            if func.attr == "format" and self._sql(func.value):
                self._add(node, "format", [*node.args, *(k.value for k in node.keywords)])
            if func.attr in SINKS and node.args and _composed(node.args[0]):
                self._add(node, "sink", [node.args[0]])
        self.generic_visit(node)


def _sql_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            text = _literal_text(node.value)
            if text is None or not SQL_WORDS.search(text):
                continue
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names


def scan(source: str, path: str = "<string>") -> list[Finding]:
    tree = ast.parse(source)
    scanner = _Scanner(path, _sql_names(tree))
    scanner.visit(tree)
    return scanner.found
