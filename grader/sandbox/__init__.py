"""Runs untrusted student code: a stdlib-only worker process and the trusted client that drives it.

Modules named ops_<lesson>.py hold the request handlers (the fixed vocabulary) and run INSIDE the
worker, so they and this file import nothing but the standard library.
"""
