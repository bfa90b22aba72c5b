"""Runs INSIDE the sandbox: the worker (worker.py) and its request handlers (ops_<lesson>.py,
the fixed vocabulary), with specs.py (graphs, functions and models sent as data).

Only this folder is mounted into the sandbox, so it and every module in it import nothing but
the standard library (tests/test_architecture.py checks it). The trusted side may import from
here (specs.py rebuilds the same graphs on the reference); never the other way round.
"""
