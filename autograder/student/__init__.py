"""The student's side of the trust boundary: everything here runs inside the student's process.

`probe` (called by a hidden test cell), `wire` (the JSON encoding of the probe's cases and reports), `zygote` (the
pre-imported worker that forks each job and runs its cells) and `confine` (the namespaces around it). They import
only numpy and the standard library at module level (IPython is imported where the cells run), and nothing of the
grader's side: the grader (`autograder.judge`, `autograder.spec`, `autograder.specs`, `reference`) decides every
grade in its own process, from what these report. `tests/grader/test_student_side.py` holds them to that.
"""
