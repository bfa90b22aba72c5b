"""Hidden suites: pytest files run in the TRUSTED grader process (see runner.py).

They talk to the student's code only through a sandboxed worker (grader/sandbox) and compare
validated plain numbers with values computed here. Never copied to student_template/.
"""
