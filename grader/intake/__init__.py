"""Submission intake, on the trusted client side: find the submissions of a class folder
(discovery.py: folders, zips, loose LMS files via lms.py, nbgrader's submitted/ via
nbgrader_course.py), fingerprint them, and stage each into a private `micrograd` package
(notebooks converted by notebooks.py). Nothing here runs student code."""
