"""The one error the generator raises for a course-author mistake."""


class GenerateError(ValueError):
    """A lesson definition, template or reference module is malformed; the message is one line
    that names the file and says what to fix."""
