"""`check` shows the same mistake labels the instructors' report counts, and a label survives copying."""
import copy
import pickle

from autograder.check import render
from autograder.judge import draw_cases, verdict_for
from autograder.spec import Mistake, label_of
from course.helpers import load_source, load_wrong, run_check, substitute, write_submission

WRONG = load_wrong()


def test_check_prints_the_label_of_a_named_mistake(tmp_path):
    nb = load_source("06_sampling")
    labels = []
    for function, index in (("greedy", 0), ("greedy", 3)):
        nb_wrong = substitute(nb, function, WRONG["sampling"][function][index][1])
        result = run_check(write_submission(nb_wrong, tmp_path / f"{function}{index}", "06_sampling"), seed=5)
        (question,) = [q for q in result.questions if not q.passed]
        assert question.grade_id == "test_greedy"
        assert question.mistake and question.mistake != "wrong-output"
        assert f"[{question.mistake}] greedy:" in render(result)
        labels.append(question.mistake)
    assert len(set(labels)) == 2  # two different mistakes, two different labels


def test_a_passing_answer_has_no_label_and_an_unnamed_failure_the_generic_one():
    spec, cases, text = draw_cases("greedy", 11)
    passed, message = verdict_for(spec, cases, text, {"name": "greedy", "outputs": [
        {"ok": spec.reference(*c.args, **c.kwargs)} for c in cases]})
    assert passed and not isinstance(message, Mistake)
    passed, message = verdict_for(spec, cases, text, {"name": "greedy", "outputs": [{"ok": "x"} for _ in cases]})
    assert not passed and label_of(message) == "wrong-output" and message.startswith("greedy:")


def test_a_label_survives_copy_and_pickle():
    reason = Mistake("drops-boundary-token", "kept 1 token, expected 2")
    for again in (copy.deepcopy(reason), pickle.loads(pickle.dumps(reason))):
        assert again == "kept 1 token, expected 2" and again.label == "drops-boundary-token"
