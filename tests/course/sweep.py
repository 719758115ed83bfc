"""A seed sweep: one isolated execution of a notebook, judged as if it had been checked once per seed.

    scores = sweep_notebook(path, seeds=range(20), pool=pool)    # {seed: {grade_id: (points, reason)}}

Every probe's cases file holds the cases of all the seeds back to back, so the student's functions really run on
each seed's inputs, in the grader's isolated process, in one notebook execution instead of twenty. The outputs are
then cut back into one slice per seed and each slice is judged on its own with the grader's `verdict_for`, exactly
as `check --seed S` judges it. A test cell that failed by itself (a visible assert, a NameError, a timeout) scores 0
on every seed, as it would in twenty separate runs.
"""

import json
from pathlib import Path

import nbformat

from autograder.student import wire
from autograder.check import find_assignment, restore, working_copy
from autograder.execute import GRADING_ENV, ExecJob, Limits
from autograder.judge import draw_cases, probe_cells, specs_by_name, verdict_for

from .helpers import SOURCE


def _own_error(cell) -> str | None:
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return f"{out.get('ename', 'Error')}: {out.get('evalue', '')}"
    return None


def _write_cases(nb, seeds, cases_dir: Path) -> dict:
    """{name: [(seed, spec, cases, text), ...]} drawn as `check --seed` draws them; one cases file per probe."""
    specs, drawn = specs_by_name(), {}
    for _, name in probe_cells(nb):
        if name in drawn or name not in specs:
            continue
        drawn[name] = [(seed, *draw_cases(name, seed, specs)) for seed in seeds]
        # joined as JSON, not decoded: a decoded rng would be a live Generator, which the wire cannot send
        every = [case for *_, text in drawn[name] for case in json.loads(text)["cases"]]
        (cases_dir / f"{name}.json").write_text(json.dumps({"name": name, "cases": every}, allow_nan=True))
    return drawn


def _judge_seeds(name: str, draws: list, results_dir: Path) -> dict[int, tuple[bool, str]]:
    path = results_dir / f"{name}.json"
    if not path.is_file():
        return {seed: (False, f"{name}: no result reached the grader") for seed, *_ in draws}
    outputs = wire.loads(path.read_text(), limit=wire.RESULTS_LIMIT)["outputs"]
    verdicts, start = {}, 0
    for seed, spec, cases, text in draws:
        chunk = {"name": name, "outputs": outputs[start:start + len(cases)]}
        verdicts[seed] = verdict_for(spec, cases, text, chunk, seed)
        start += len(cases)
    return verdicts


def sweep_notebook(path: Path, seeds, pool, limits: Limits | None = None) -> dict[int, dict[str, tuple[float, str]]]:
    """{seed: {test cell grade_id: (points, reason)}} for the notebook at `path` (see the module docstring)."""
    seeds = list(seeds)
    path = Path(path)
    student = nbformat.read(path, as_version=4)
    assignment = find_assignment(path, student, SOURCE)
    source_dir = SOURCE / assignment
    nb = restore(student, nbformat.read(source_dir / f"{assignment}.ipynb", as_version=4))
    with working_copy(pool, source_dir) as (cwd, probe_dir):
        for folder in (probe_dir / "cases", probe_dir / "results"):
            folder.mkdir(parents=True)
        drawn = _write_cases(nb, seeds, probe_dir / "cases")
        env = {**GRADING_ENV, "L2W_PROBE_DIR": str(probe_dir), "L2W_PROBE_SEED": str(seeds[0])}
        ran = pool.run(ExecJob(nb=nb, cwd=cwd, env=env, limits=limits or Limits()))
        probed = {cell.metadata.nbgrader["grade_id"]: name for cell, name in probe_cells(ran.nb)}
        scores = {seed: {} for seed in seeds}
        for cell in ran.nb.cells:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if cell.cell_type != "code" or not meta.get("grade") or meta.get("solution"):
                continue
            gid, points = meta["grade_id"], float(meta.get("points", 0))
            error = _own_error(cell)
            if error is None and gid in probed and probed[gid] in drawn:
                for seed, (passed, reason) in _judge_seeds(probed[gid], drawn[probed[gid]],
                                                           probe_dir / "results").items():
                    scores[seed][gid] = (points if passed else 0.0, reason)
            else:
                for seed in seeds:
                    scores[seed][gid] = (0.0, error) if error else (points, "ran without errors")
    return scores


def describe(scores: dict[int, dict[str, tuple[float, str]]], gid: str) -> str:
    """The seeds on which `gid` scored, with their reasons, for an assertion message."""
    return json.dumps({seed: row[gid][1] for seed, row in scores.items() if row[gid][0] > 0}, indent=1)[:2000]
