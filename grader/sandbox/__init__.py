"""The sandbox around untrusted student code, split by which side of the boundary runs it.

- `inside/`: the stdlib-only worker and its request handlers (ops_<lesson>.py). It runs INSIDE
  the sandbox, is the only part of the grader mounted into it, and imports nothing from the
  grader.
- this folder: the trusted side — `jail.py` (bubblewrap, rlimits, slot uids), `client.py` (the
  proxy that starts a worker and validates its replies), `errors.py` (their words for the
  student), `signatures.py` (the API's expected call signatures).
"""
