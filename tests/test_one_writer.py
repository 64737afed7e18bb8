"""One writer per aggregate: employees are created and changed in `backend/org` only (its
`EmployeeWriter`), whichever entry point asks (the API, SCIM, the SSO sign-up, a hire).

Read from the source, so a new writer anywhere else fails here before it repeats (or forgets) the
rules of an employee's row. What counts as writing: constructing `Employee(...)`, an
`insert`/`update`/`delete` of `Employee` (or its table), and, in a function, assigning an attribute of
(or `setattr`/`apply` on) a variable that holds an employee: one annotated `Employee`, bound from an
expression that names `Employee` (`session.get(Employee, ...)`, `select(Employee)...`), or named
`employee` (`employee = await self._employee(user_id)`)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Where employees may be written.
WRITER = ROOT / "backend" / "org"
SEARCHED = ("backend", "admin", "worker", "tenants")
MODEL = "Employee"


def _names_model(node: ast.AST | None) -> bool:
    return node is not None and any(isinstance(n, ast.Name) and n.id == MODEL for n in ast.walk(node))


def _employee_variables(function: ast.AST) -> set[str]:
    """The names in `function` that hold an employee (by name, annotation or what they are bound to)."""
    held: set[str] = {"employee"}
    for node in ast.walk(function):
        if isinstance(node, ast.arg) and _names_model(node.annotation):
            held.add(node.arg)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and _names_model(node.annotation):
            held.add(node.target.id)
        elif isinstance(node, ast.Assign) and _names_model(node.value):
            held.update(target.id for target in node.targets if isinstance(target, ast.Name))
        elif isinstance(node, ast.For) and isinstance(node.target, ast.Name) and _names_model(node.iter):
            held.add(node.target.id)
    return held


def _writes(tree: ast.Module) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            callee = node.func
            name = (
                callee.id if isinstance(callee, ast.Name) else callee.attr if isinstance(callee, ast.Attribute) else ""
            )
            if name == MODEL:
                yield node.lineno, "constructs an Employee"
            elif name in {"insert", "update", "delete"} and node.args and _names_model(node.args[0]):
                yield node.lineno, f"{name}({ast.unparse(node.args[0])})"
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        held = _employee_variables(function)
        for node in ast.walk(function):
            targets: list[ast.expr] = []
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, ast.AugAssign | ast.AnnAssign):
                targets = [node.target]
            for target in targets:
                if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id in held:
                    yield node.lineno, f"assigns {ast.unparse(target)}"
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in {"setattr", "apply"}
                and node.args
                and isinstance(node.args[0], ast.Name)
                and node.args[0].id in held
            ):
                yield node.lineno, f"{node.func.id}({node.args[0].id}, ...)"


def test_employees_are_written_by_the_org_domain_only() -> None:
    found = []
    for package in SEARCHED:
        for path in sorted((ROOT / package).rglob("*.py")):
            if path.is_relative_to(WRITER):
                continue
            tree = ast.parse(path.read_text(), str(path))
            found += [f"{path.relative_to(ROOT)}:{line}: {what}" for line, what in _writes(tree)]
    assert found == [], "employees are written through backend.org's EmployeeWriter only:\n" + "\n".join(found)


def test_the_check_sees_a_writer() -> None:
    """The check itself: each way of writing an employee is seen."""
    source = """
async def hire(session, data, employee: Employee):
    session.add(Employee(email=data.email))
    await session.execute(update(Employee).values(active=False))
    other = await session.get(Employee, data.id)
    other.manager_id = None
    employee.level += 1
    setattr(other, "title", data.title)

async def leave(session, employee_id):
    employee = await load(session, employee_id)
    employee.active = False
"""
    assert sorted(line for line, _ in _writes(ast.parse(source))) == [3, 4, 6, 7, 8, 12]
