"""What can go wrong when the trusted side asks a worker for something.

Every message is written for the student: it names what happened, never a grader traceback.
"""


class WorkerError(Exception):
    """Base class: the check that hit it cannot be scored from this reply."""


class StudentError(WorkerError):
    """The student's code raised an exception while serving a request.

    `missing`: the module a failed import did not find ('numpy', or 'micrograd.x');
    `expected`: the signature the course expects, when the exception is a call to the API
    that did not fit the student's signature."""

    def __init__(
        self, exc_type: str, message: str, where: str = "", *, missing: str = "", expected: str = ""
    ):
        self.exc_type = exc_type
        self.message = message
        self.where = where
        self.missing = missing
        self.expected = expected
        super().__init__(missing_module_text(missing, where) if missing else self._raised())

    def _raised(self) -> str:
        text = f"your code raised {self.exc_type}"
        if self.message:
            text += f": {self.message}"
        if self.where:
            text += f" ({self.where})"
        if self.expected:
            text += f" — the course expects {self.expected}"
        return text


def missing_module_text(missing: str, where: str) -> str:
    """A failed import, as the rule it breaks: the grader has the standard library only, and
    a lesson's package holds only the modules that lesson may use."""
    who = f"{where} imports" if where else "your code imports"
    if missing.startswith("micrograd."):
        return (
            f"{who} {missing}, which is not in the package graded for this lesson: a module "
            "may import earlier lessons' modules and helper modules in your micrograd folder"
        )
    return (
        f"{who} {missing}, which the grader does not have: micrograd is written with "
        "Python's standard library only, so remove the import (use math and random)"
    )


class WorkerTimeout(WorkerError):
    """A request took longer than its time limit, or the lesson's time budget is spent."""


def import_timeout(module: str, seconds: float) -> WorkerTimeout:
    """The limit ran out while a module's top-level code was running."""
    return WorkerTimeout(
        f"your package took more than {seconds:.2g} s to import ({module} was still running "
        "its top-level code): move top-level training and experiments under "
        '`if __name__ == "__main__":`'
    )


def request_timeout(limit: float, import_seconds: float = 0.0) -> WorkerTimeout:
    """The limit ran out in the request itself; `import_seconds` of it went to imports."""
    text = f"no answer within {limit:.3g} s (an endless loop, or far too slow?)"
    if import_seconds >= 0.1 * limit:
        text += (
            f"; importing your package took {import_seconds:.2g} s of that: keep "
            "top-level code in your modules short"
        )
    return WorkerTimeout(text)


class WorkerCrashed(WorkerError):
    """The process running the student's code died or exited while serving a request."""


class BadReply(WorkerError):
    """The worker answered something that is not a well-formed reply (garbage on the pipe)."""
