"""Code that runs inside the grading process of one submission (a Ray driver)."""
