"""What the grader keeps between runs (resume markers, per-cell verdicts, the LMS sync record), written so that a
run killed mid-write leaves the old file or the new one, never half of one."""
from __future__ import annotations

import json
import os
import threading
from pathlib import Path


def write_json(path: Path, value, mode: int = 0o666, **dumps) -> Path:
    """Replace `path` with `value` as JSON in one step; `mode` as for `os.open` (the umask applies), `dumps` as for
    `json.dumps`. The partial file is named after this process and thread, so two writers never share one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    with os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode), "w") as out:
        out.write(json.dumps(value, **dumps))
    os.replace(partial, path)
    return path
