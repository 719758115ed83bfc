"""The trust boundary in the layout: `autograder.student` (what runs inside the student's process) imports only
numpy and the standard library, and nothing of the grader's side."""
import json
import subprocess
import sys

STUDENT_SIDE = ("autograder.student", "autograder.student.probe", "autograder.student.wire",
                "autograder.student.zygote", "autograder.student.confine")


def loaded_by(*modules: str) -> set[str]:
    """The modules a clean interpreter loads for `import <modules>`, beyond its own start-up."""
    # a None entry is a module marked absent (autograder/__init__.py does that to one), not one loaded
    code = ("import json, sys\nbefore = set(sys.modules)\n" + "".join(f"import {m}\n" for m in modules)
            + "print(json.dumps(sorted(n for n, m in sys.modules.items() if n not in before and m is not None)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd="/")
    return set(json.loads(done.stdout))


def outside_numpy_and_stdlib(loaded: set[str]) -> set[str]:
    return {name.partition(".")[0] for name in loaded} - {"autograder", "numpy"} - set(sys.stdlib_module_names)


def test_the_student_side_imports_only_numpy_and_the_standard_library():
    loaded = loaded_by(*STUDENT_SIDE)
    assert not outside_numpy_and_stdlib(loaded), f"the student's side pulled in {outside_numpy_and_stdlib(loaded)}"
    ours = {name for name in loaded if name.startswith("autograder")}
    assert ours == {"autograder", *STUDENT_SIDE}, f"the student's side imports the grader's {sorted(ours)}"


def test_the_check_sees_a_grader_module():
    """Not vacuous: the grader's judge (specs, nbformat) fails both conditions above."""
    loaded = loaded_by("autograder.judge")
    assert outside_numpy_and_stdlib(loaded)
    assert {"autograder.judge", "autograder.spec"} <= loaded
