"""What can go wrong when the trusted side asks a worker for something.

Every message is written for the student: it names what happened, never a grader traceback.
"""


class WorkerError(Exception):
    """Base class: the check that hit it cannot be scored from this reply."""


class StudentError(WorkerError):
    """The student's code raised an exception while serving a request."""

    def __init__(self, exc_type: str, message: str, where: str = ""):
        self.exc_type = exc_type
        self.message = message
        self.where = where
        text = f"your code raised {exc_type}"
        if message:
            text += f": {message}"
        if where:
            text += f" ({where})"
        super().__init__(text)


class WorkerTimeout(WorkerError):
    """A request took longer than its time limit, or the lesson's time budget is spent."""


class WorkerCrashed(WorkerError):
    """The process running the student's code died or exited while serving a request."""


class BadReply(WorkerError):
    """The worker answered something that is not a well-formed reply (garbage on the pipe)."""
