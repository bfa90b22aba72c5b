"""What users see, built from result objects (grader/results.py): the per-submission and
per-run outputs (`outputs.py`, the registry `grade` loops over: feedback.html, Gradescope's
results.json, gradebook.csv, the staff log and the result record), the terminal tables
(`console.py`), the nbgrader export and the figures (`figures/`)."""
