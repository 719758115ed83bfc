"""Stand-in for `rfc3987_syntax` on the hub's single-user servers only (their PYTHONPATH; see jupyterhub_config.py).

The real package builds an Earley parser for the RFC 3987 grammar when it is imported: about 2 s, at every server
start, because jsonschema imports it (if installed) to check the "iri" format, and jupyter_server imports jsonschema
through jupyter_events. Servers never validate an IRI, and jsonschema treats an ImportError here as "format not
checked" (`with suppress(ImportError)` in jsonschema/_format.py), so failing the import costs nothing and saves
two seconds of every spawn. Nothing else on the machine sees this file.
"""

raise ImportError("rfc3987_syntax is left out of single-user servers: its import-time grammar build costs ~2 s")
