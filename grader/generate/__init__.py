"""Reference solution + lesson definitions -> student template and nbgrader notebooks.

Pipeline, in small steps (see each module):
  regions.py   solution regions, stubbed by nbgrader's ClearSolutions
  parts.py     a module cut into named parts (header, one per top-level def/class)
  notebook.py  jinja2 narrative -> nbgrader source notebook -> student notebook (grade_ids there)
  course.py    build() every owned file, differences(), write(), check()
  nbgrader_course.py  an nbgrader course's source/ assignments, policy own or released
"""

from grader.generate.course import build, check, write
from grader.generate.errors import GenerateError

__all__ = ["build", "check", "write", "GenerateError"]
