"""Grading a class: `commands.py` (the bodies of `grade` and `validate`), `orchestrate.py`
(intake -> executor -> outputs, resume, one row per submission), `executors/` (how a staged
submission's suite runner is run: LocalExecutor for `-j N`)."""
