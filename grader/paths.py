"""Where the course lives. The grader runs from a checkout (editable install), so every
course folder is found relative to this package."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
REFERENCE_PACKAGE = SOLUTIONS / "micrograd"
ASSIGNMENTS = ROOT / "assignments"
STUDENT_TEMPLATE = ROOT / "student_template"
EXAMPLES = ROOT / "examples" / "submissions"
