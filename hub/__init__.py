"""The course hub of Line to Word: settings, course and exchange preparation, and the launcher behind `make hub`.

`jupyterhub_config.py` reads its settings from here (`HubSettings.from_env()`) and calls `prepare()` so that a bare
`jupyterhub -f jupyterhub_config.py` works too; `python -m hub` adds the slow, once-per-start steps (generating and
releasing the assignments) and then runs JupyterHub.
"""
