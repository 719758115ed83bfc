"""Stand-in for the checkout's `reference` package on the servers of server mode only (their PYTHONPATH; see
jupyterhub_config.py).

Every kernel has the checkout on its path (the editable install), and server mode makes `reference/` 0750 with the
grader account's group (hub/course.py, `wall_off_answers`). Python still sees the directory's name, so without this
file `import reference` "succeeds" for a student as an empty namespace package: nothing readable, but it looks as
if the answers were there. This makes the import fail, and say why. The formgrader service (the grader account,
which does read `reference`) never has this directory on its path.
"""

raise ImportError("the reference implementation is for the graders only: it is not importable on this hub's servers")
