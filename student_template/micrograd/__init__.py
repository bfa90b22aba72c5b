"""The micrograd package you build during the course (this file is not graded)."""
