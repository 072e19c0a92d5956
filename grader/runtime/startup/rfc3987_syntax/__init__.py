# Put first on PYTHONPATH of the processes the grader starts (Ray head, its workers, the
# grading process). `import ray` reaches jsonschema, which imports rfc3987_syntax when it is
# installed (jupyter-events pulls it in), and that module builds a Lark grammar at import:
# 2.4 s of CPU in every Ray worker on a 2-core machine, for an IRI format check Ray never uses.
# jsonschema treats the ImportError as "format checker not available".
raise ImportError("rfc3987_syntax is hidden in grading processes (slow import, unused by Ray)")
