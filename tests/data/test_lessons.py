"""Lesson chapters: the shipped files load, every number they quote is what
the session computes, every Try-it goal can be met, and a bad file is refused
with its name, line and field."""
from __future__ import annotations

import json
import re
import shutil

import numpy as np
import pytest

from clusterviz.data import builtin_dataset
from clusterviz.data.lesson_goals import check_goal
from clusterviz.data.lessons import LESSON_DIR, LessonChoices, LessonError, key_line, load_lessons, parse_lesson
from clusterviz.model.registry import ALGORITHMS
from clusterviz.session import Session
from clusterviz.session.settings import ALGORITHM_NAMES, COVARIANCE_TYPES, INITS

CHOICES = LessonChoices(tuple(ALGORITHMS), INITS, COVARIANCE_TYPES)
LESSONS = load_lessons(CHOICES)
BY_NAME = {chapter.name: chapter for chapter in LESSONS.chapters}
#: The story's order (LESSON-SOURCE and the issue): each chapter's file name, in order.
STORY = ("01-kmeans-three-blobs", "02-why-it-converges", "03-points-on-the-fence", "04-kmeans-is-em",
         "05-soft-assignments", "06-beta-bridge", "07-choosing-k", "08-initialisation", "09-when-kmeans-fails",
         "10-old-faithful", "11-check-with-scikit-learn", "12-hidden-markov-models")


def opened(name: str) -> Session:
    """The session a chapter opens (what the Lessons panel adopts)."""
    chapter = BY_NAME[name]
    session = Session(builtin_dataset(chapter.dataset), **chapter.session_options())
    session.run_to_convergence(max_steps=chapter.steps)
    return session


def goal(name: str, session: Session):
    return check_goal(BY_NAME[name].goal, session, ALGORITHM_NAMES)


def final_objective(dataset: str, **options) -> float:
    session = Session(builtin_dataset(dataset), **options)
    session.run_to_convergence()
    return float(session.objectives[-1])


def text_of(name: str) -> str:
    chapter = BY_NAME[name]
    return " ".join(chapter.sentences + (chapter.task, chapter.hint))


# ------------------------------------------------------------ the shipped set
def test_the_shipped_chapters_load_in_the_story_order():
    shipped = sorted(f.name for f in LESSON_DIR.iterdir() if f.name.endswith(".json"))
    assert [name.removesuffix(".json") for name in shipped] == list(STORY)
    expected = [name for name in STORY if name != "12-hidden-markov-models" or "hmm" in ALGORITHMS]
    assert [c.name for c in LESSONS.chapters] == expected
    assert len(LESSONS.chapters) >= 10
    if "hmm" in ALGORITHMS:
        assert LESSONS.notes == []
    else:  # the HMM chapter waits for the HMM, with a note naming it
        assert len(LESSONS.notes) == 1 and "12-hidden-markov-models.json" in LESSONS.notes[0]
        assert "'hmm'" in LESSONS.notes[0]


@pytest.mark.parametrize("name", [n for n in STORY if n in BY_NAME])
def test_every_chapter_opens_with_a_fit_and_an_unmet_goal(name):
    chapter = BY_NAME[name]
    session = opened(name)
    assert session.dataset.name == chapter.dataset and session.algorithm == chapter.algorithm
    assert session.n_clusters == chapter.k and session.seed == chapter.seed and session.init == chapter.init
    assert session.state is not None and session.problem is None
    assert 2 <= len(chapter.sentences) <= 5
    result = goal(name, session)
    assert not result.met, f"{name}: the task is done before the student starts: {result.text}"
    assert result.text


# --------------------------------------- each chapter's numbers and its Try-it
def test_01_three_blobs_seed_42_goes_from_827_05_to_322_00_in_two_iterations():
    session = opened("01-kmeans-three-blobs")
    session.run_to_convergence()
    assert [round(float(v), 2) for v in session.objectives] == [827.05, 322.00, 322.00]
    assert "827.05" in text_of("01-kmeans-three-blobs") and "322.00" in text_of("01-kmeans-three-blobs")
    result = goal("01-kmeans-three-blobs", session)
    assert result.met and result.text == "converged after 2 iterations: J = 322.00"


def test_02_half_steps_never_raise_j():
    session = opened("02-why-it-converges")
    while session.can_step:
        session.half_step()
        assert not goal("02-why-it-converges", session).met or session.converged
    assert session.entry.iteration == 5  # "seed 6 needs five iterations, ten half-steps"
    assert list(session.phases).count("E") == 5 and round(float(session.objectives[-1]), 2) == 322.00
    result = goal("02-why-it-converges", session)
    assert result.met and result.text.startswith("J fell or stayed") and "322.00" in result.text


def test_03_k4_splits_a_blob():
    session = opened("03-points-on-the-fence")
    assert session.converged and round(float(session.entry.objective), 2) == 322.00
    session.set_n_clusters(4)
    assert not goal("03-points-on-the-fence", session).met
    session.run_to_convergence()
    result = goal("03-points-on-the-fence", session)
    assert result.met and "K = 4" in result.text and "J = 255.26" in result.text


def test_04_em_from_the_same_seed():
    session = opened("04-kmeans-is-em")
    session.set_algorithm("gmm")
    session.run_to_convergence()
    result = goal("04-kmeans-is-em", session)
    assert result.met and "ℓ = -883.94" in result.text


def test_05_round_components_cost_log_likelihood():
    session = opened("05-soft-assignments")
    assert session.converged and round(float(session.entry.objective), 2) == -883.94
    assert "−883.94" in text_of("05-soft-assignments")
    session.set_covariance_type("spherical")
    session.run_to_convergence()
    result = goal("05-soft-assignments", session)
    assert result.met and "ℓ = -987.76" in result.text


def test_06_raising_beta_hardens_the_responsibilities():
    session = opened("06-beta-bridge")
    top = float(np.mean(np.max(session.state.responsibilities, axis=1)))
    assert round(100 * top) == 87 and "87 %" in text_of("06-beta-bridge")
    session.set_beta(10.0)
    assert not goal("06-beta-bridge", session).met  # the new start has no responsibilities yet
    session.step()
    result = goal("06-beta-bridge", session)
    assert result.met and "β = 10" in result.text


def test_07_the_elbow_is_at_three():
    elbow = [round(final_objective("three_blobs", n_clusters=k, init="k-means++", seed=0), 1) for k in range(1, 6)]
    assert elbow == [4002.7, 1596.9, 322.0, 280.2, 224.8]
    assert "4002.7, 1596.9, 322.0, 280.2, 224.8" in text_of("07-choosing-k")
    session = opened("07-choosing-k")
    session.set_n_clusters(3)
    session.run_to_convergence()
    assert goal("07-choosing-k", session).met


def test_08_seeds_0_to_9_give_seven_good_runs_and_kmeanspp_ten():
    random_runs = [final_objective("three_blobs", init="random", seed=s) for s in range(10)]
    stuck = [s for s, j in enumerate(random_runs) if round(j, 2) != 322.00]
    assert stuck == [2, 3, 8] and all(abs(random_runs[s] - 1541.6) < 0.1 for s in stuck)
    assert all(round(final_objective("three_blobs", init="k-means++", seed=s), 2) == 322.00 for s in range(10))
    text = text_of("08-initialisation")
    assert "seeds 2, 3 and 8 stop near J = 1541.6" in text and "all ten seeds reach 322.00" in text
    session = opened("08-initialisation")
    session.set_seed(1)
    session.run_to_convergence()
    assert "the same minimum" in goal("08-initialisation", session).text
    session.set_seed(2)
    session.run_to_convergence()
    result = goal("08-initialisation", session)
    assert result.met
    assert result.text == "you found a different local minimum: seed 2 stops at J = 1541.66, against 322.00"


def test_09_em_recovers_the_anisotropic_clusters_kmeans_cuts():
    session = opened("09-when-kmeans-fails")
    assert session.converged and round(session.adjusted_rand, 2) == 0.15 and "only 0.15" in text_of(
        "09-when-kmeans-fails")
    session.set_algorithm("gmm")
    session.run_to_convergence()
    result = goal("09-when-kmeans-fails", session)
    assert result.met and round(session.adjusted_rand, 2) == 0.99 and "(ARI 0.99)" in text_of("09-when-kmeans-fails")


def test_10_old_faithful_kmeans_and_em():
    session = opened("10-old-faithful")
    assert session.converged and round(float(session.entry.objective), 2) == 8901.77
    means = session.state.means
    assert abs(means[0, 1] - means[1, 1]) > 10 * abs(means[0, 0] - means[1, 0])  # waiting time decides
    session.set_algorithm("gmm")
    session.run_to_convergence()
    result = goal("10-old-faithful", session)
    assert result.met and "ℓ = -1130.27" in result.text and "−1130.27" in text_of("10-old-faithful")


def test_11_seed_7_converges_at_322_after_three_iterations():
    session = opened("11-check-with-scikit-learn")
    session.run_to_convergence()
    result = goal("11-check-with-scikit-learn", session)
    assert result.met and result.text.endswith("converged after 3 iterations: J = 322.00")


@pytest.mark.skipif("hmm" not in ALGORITHMS, reason="the HMM is not in the registry of this build")
def test_12_the_hmm_beats_the_mixture_on_old_faithful():
    session = opened("12-hidden-markov-models")
    session.run_to_convergence()
    result = goal("12-hidden-markov-models", session)
    assert result.met and result.text.endswith("above -1100")
    mixture = final_objective("old_faithful", algorithm="gmm", n_clusters=2, init="random")
    assert round(mixture, 2) == -1130.27 and "−1130.27" in text_of("12-hidden-markov-models")
    gain = float(session.entry.objective) - mixture
    assert round(gain) == 34 and "about 34 nats" in text_of("12-hidden-markov-models")


# --------------------------------------------------------------- bad files
GOOD = {
    "clusterviz_lesson": 1,
    "title": "A chapter",
    "setup": {"dataset": "three_blobs", "algorithm": "kmeans", "k": 3, "seed": 0, "init": "random"},
    "text": ["One sentence.", "Another sentence."],
    "formula": "J = Σ<sub>n</sub> x<sup>2</sup>",
    "try_it": {"task": "Step.", "goal": {"kind": "converged"}},
}


def lesson_text(**changes) -> str:
    data = json.loads(json.dumps(GOOD))
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        target = data
        for key in parents:
            target = target[key]
        if value is ...:
            del target[last]
        else:
            target[last] = value
    return json.dumps(data, indent=2, ensure_ascii=False)


def refusal(text: str, name: str = "mine.json") -> str:
    with pytest.raises(LessonError) as info:
        parse_lesson(text, name, CHOICES)
    return str(info.value)


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.split("\n"), 1) if needle in line)


def test_a_good_lesson_parses():
    chapter = parse_lesson(lesson_text(), "mine.json", CHOICES)
    assert chapter.name == "mine" and chapter.layers == {"regions": False, "density": False, "ambiguity": False,
                                                          "trails": False}
    assert chapter.colours == "opacity" and chapter.steps == 0


@pytest.mark.parametrize("change, field, needle", [
    ({"setup__k": 0}, "setup.k", '"k"'),
    ({"setup__k": "three"}, "setup.k", '"k"'),
    ({"setup__dataset": "blobs"}, "setup.dataset", '"dataset"'),
    ({"setup__init": "forgy"}, "setup.init", '"init"'),
    ({"setup__sed": 3}, "setup.sed", '"sed"'),
    ({"setup__beta": -1}, "setup.beta", '"beta"'),
    ({"text": ["Only one."]}, "text", '"text"'),
    ({"text": ["One.", 2]}, "text[1]", '    2'),
    ({"formula": "<img src='x.png'>"}, "formula", '"formula"'),
    ({"formula": "a <sub class='x'>n</sub>"}, "formula", '"formula"'),
    ({"formula": "a < b"}, "formula", '"formula"'),
    ({"try_it__goal": {"kind": "win"}}, "try_it.goal.kind", '"kind"'),
    ({"try_it__goal": {"kind": "ari_above"}}, "try_it.goal.kind", '"kind"'),
    ({"try_it__goal": {"kind": "ari_above", "value": "high"}}, "try_it.goal.value", '"value"'),
    ({"try_it__goal": {"kind": "all", "goals": [{"kind": "k_is", "k": 0}]}}, "try_it.goal.goals[0].k", '"k": 0'),
    ({"view": {"colours": "rainbow"}}, "view.colours", '"colours"'),
    ({"layers": {"regions": "yes"}}, "layers.regions", '"regions"'),
    ({"clusterviz_lesson": 2}, "clusterviz_lesson", '"clusterviz_lesson"'),
])
def test_a_bad_field_is_refused_with_file_line_and_field(change, field, needle):
    text = lesson_text(**change)
    message = refusal(text)
    assert message.startswith(f"mine.json, line {line_of(text, needle)}: field '{field}' "), message


def test_a_missing_field_names_the_object_that_lacks_it():
    text = lesson_text(setup__seed=...)
    setup_line = line_of(text, '"setup"')
    assert refusal(text) == f"mine.json, line {setup_line}: field 'setup' lacks the field 'seed'"
    assert refusal(lesson_text(title=...)) == "mine.json: lacks the field 'title'"


def test_broken_json_is_refused_with_its_line():
    text = lesson_text().replace('"title": "A chapter",', '"title": "A chapter"')
    message = refusal(text)
    setup_line = line_of(text, '"setup"')
    assert re.match(rf"mine\.json, line {setup_line}, column \d+: not valid JSON", message), message
    assert refusal("[1, 2]").startswith("mine.json: should hold one JSON object")
    assert "lacks the field 'clusterviz_lesson'" in refusal('{"title": "x"}')


def test_key_line_follows_the_structure_not_the_first_match():
    text = '{\n "b": {"a": 1},\n "a": {\n  "k": [1,\n   {"k": "x\\"k\\": 2"}]\n }\n}'
    assert key_line(text, ("a",)) == 3 and key_line(text, ("b", "a")) == 2
    assert key_line(text, ("a", "k")) == 4 and key_line(text, ("a", "k", 1, "k")) == 5
    assert key_line(text, ("a", "missing")) == 3 and key_line(text, ("c",)) is None


def test_a_folder_skips_unknown_algorithms_and_bad_files_but_loads_the_rest(tmp_path):
    shutil.copy(LESSON_DIR / "01-kmeans-three-blobs.json", tmp_path / "01-first.json")
    (tmp_path / "02-future.json").write_text(lesson_text(setup__algorithm="dbscan"), encoding="utf-8")
    (tmp_path / "03-broken.json").write_text(lesson_text(setup__k=99), encoding="utf-8")
    (tmp_path / "04-binary.json").write_bytes(b'{"title": "\xff"}')
    (tmp_path / "notes.txt").write_text("not a lesson", encoding="utf-8")
    lessons = load_lessons(CHOICES, tmp_path)
    assert [c.name for c in lessons.chapters] == ["01-first"]
    assert len(lessons.notes) == 3
    assert "02-future.json: the algorithm 'dbscan' is not in this app" in lessons.notes[0]
    assert lessons.notes[1].startswith("03-broken.json, line ") and "'setup.k'" in lessons.notes[1]
    assert lessons.notes[2] == "04-binary.json, line 1: not UTF-8 text (byte 0xff)"


# ---------------------------------------------------------------- key_line
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_KEYS = st.text(alphabet="ab", min_size=1, max_size=2)  # few names: inner keys repeat outer ones


@settings(max_examples=80, deadline=None)
@given(st.dictionaries(_KEYS, st.dictionaries(_KEYS, st.integers(), min_size=1, max_size=4), min_size=1,
                       max_size=4), st.data())
def test_key_line_points_at_the_line_holding_the_key(document, data):
    text = json.dumps(document, indent=2)
    outer = data.draw(st.sampled_from(sorted(document)))
    inner = data.draw(st.sampled_from(sorted(document[outer])))
    line = text.split("\n")[key_line(text, (outer, inner)) - 1]
    assert line.strip().startswith(json.dumps(inner) + ":")
    assert text.split("\n")[key_line(text, (outer,)) - 1].strip().startswith(json.dumps(outer) + ":")


def test_feedback_at_k_means_start_quotes_no_j_the_window_does_not_show():
    """At K-Means' start the window shows "J = —" (no point is assigned):
    the Try-it feedback does not quote the J of an assignment not made yet."""
    session = opened("01-kmeans-three-blobs")
    result = goal("01-kmeans-three-blobs", session)
    assert not result.met and "827.05" not in result.text and "no point is assigned yet" in result.text


def test_a_goal_of_several_parts_marks_the_parts_already_met():
    session = opened("09-when-kmeans-fails")
    session.set_algorithm("gmm")
    spec = {"kind": "all", "goals": [{"kind": "algorithm_is", "algorithm": "gmm"}, {"kind": "ari_above", "value": 0.99}]}
    from clusterviz.data.lesson_goals import check_goal
    result = check_goal(spec, session)
    assert not result.met and result.text.startswith("✓ algorithm:") and "✓ ARI" not in result.text
