"""Line to Word's grading engine: batch grading, the self-learner's check, release."""
import sys

# jsonschema imports `rfc3987_syntax`, when installed, to check the "iri" string format, and that package builds
# an Earley parser at import: ~1.5 s of every `grade` and `check` start. The notebook schema nbformat validates
# against has no "iri" field, and jsonschema treats an ImportError there as "format not checked", so the grading
# processes skip it. (hub/server_shims/rfc3987_syntax.py does the same for the hub's single-user servers.)
sys.modules.setdefault("rfc3987_syntax", None)
