"""What a hidden check may assert, and how it tells the student what went wrong.

Replies from a worker are untrusted data: every value is validated (exact int/float types,
never bool or a subclass, finite, expected sizes) before it is compared with anything.
A `CheckFailed` message is shown to the student: which operation, which input, expected vs got.

A check whose worker held reference code is *restricted* (design.md: "Reference code is an answer
key"): its message may then carry nothing the worker produced. So a failed comparison also keeps
its parts apart — `what` (the grader's own words for the call and the inputs it chose),
`expected` (computed here) and `relation` (a coarse word on how the worker's answer relates to
it) — and the runner words a restricted verdict from those parts alone.
"""

from __future__ import annotations

# The words themselves (numbers, "expected X, got Y") live in words.py, which the student's
# self-check shares; re-exported here for the suites.
from grader.sandbox.inside.words import (  # noqa: F401
    describe,
    expected_got,
    fmt,
    is_close,
    not_a_number,
    relation,
)


class CheckFailed(AssertionError):
    """A check's verdict, worded for the student (never contains test source).

    `what`, `expected` and `relation` are set when the failure is a comparison: they hold only
    the trusted side's words and numbers (see restricted_text). `figure` is optional data for a
    picture of the failure (e.g. the graph of a gradient check: docs/runner-contract.md); the
    runner validates it and drops what a restricted check may not show."""

    def __init__(
        self, message: str, *, what: str = "", expected: float | None = None, relation: str = ""
    ):
        super().__init__(message)
        self.what = what
        self.expected = expected
        self.relation = relation
        self.figure: dict | None = None

    def restricted_text(self) -> str:
        """The verdict without anything the worker returned: the call, the expected value and
        a coarse relation. '' when this failure has no such parts (the caller says less)."""
        if not self.what:
            return ""
        text = self.what
        if self.expected is not None:
            text += f": expected {fmt(float(self.expected))}"
        return f"{text}; your value {self.relation}" if self.relation else text


def as_float(x, what: str) -> float:
    """x as a float if it is a finite int or float (exact types), else CheckFailed."""
    problem = not_a_number(x, what)
    if problem:
        raise CheckFailed(problem, what=what, relation=relation(x, 0.0))
    return float(x)


def as_list(xs, n: int | None, what: str) -> list:
    if type(xs) is not list:
        raise CheckFailed(f"{what}: expected a list, got {describe(xs)}")
    if n is not None and len(xs) != n:
        raise CheckFailed(f"{what}: expected {n} items, got {len(xs)}")
    return xs


def as_floats(xs, n: int | None, what: str) -> list[float]:
    """A list of exactly n finite numbers (n None: any length)."""
    return [as_float(x, f"{what} [item {i}]") for i, x in enumerate(as_list(xs, n, what))]


def as_record(x, keys, what: str) -> dict:
    """A dict holding (at least) `keys`."""
    if type(x) is not dict or any(k not in x for k in keys):
        raise CheckFailed(f"{what}: got a malformed answer ({describe(x)})")
    return x


def as_int(x, what: str) -> int:
    if type(x) is not int:
        raise CheckFailed(f"{what}: expected an int, got {describe(x)}")
    return x


def assert_close(got, expected: float, what: str, rel: float = 1e-6) -> float:
    """Validate `got` and compare it with `expected`; returns the validated float."""
    value = as_float(got, what)
    if not is_close(value, expected, rel):
        raise CheckFailed(
            expected_got(what, expected, value),
            what=what,
            expected=float(expected),
            relation=relation(value, expected),
        )
    return value


def assert_all_close(gots, expecteds, what: str, labels=None, rel: float = 1e-6) -> list[float]:
    """Element-wise assert_close of a list; `labels` name the items in the message."""
    values = as_list(gots, len(expecteds), what)
    labels = labels or [f"item {i}" for i in range(len(expecteds))]
    return [
        assert_close(g, e, f"{what}, {label}", rel)
        for g, e, label in zip(values, expecteds, labels)
    ]


def check(condition: bool, message: str) -> None:
    """Fail with a student-facing message unless condition holds."""
    if not condition:
        raise CheckFailed(message)
