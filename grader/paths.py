"""Where the course lives. The grader runs from a checkout (editable install), so every
course folder is found relative to this package, unless MICROGRADER_ROOT names another folder
that holds solutions/, assignments/ and student_template/: an installed wheel (the Gradescope
autograder, docs/gradescope.md) has no checkout around it."""

import os
from pathlib import Path

ROOT_ENV = "MICROGRADER_ROOT"
CHECKOUT = Path(__file__).resolve().parent.parent
ROOT = Path(os.environ[ROOT_ENV]).resolve() if os.environ.get(ROOT_ENV) else CHECKOUT
COURSE_FOLDERS = ("solutions", "assignments", "student_template")  # what grading reads
SOLUTIONS = ROOT / "solutions"
REFERENCE_PACKAGE = SOLUTIONS / "micrograd"
ASSIGNMENTS = ROOT / "assignments"
STUDENT_TEMPLATE = ROOT / "student_template"
EXAMPLES = ROOT / "examples" / "submissions"
