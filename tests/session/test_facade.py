"""The Session facade: new sessions from files, adopt, the one number formatter."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from clusterviz.data import builtin_dataset
from clusterviz.model import registry
from clusterviz.model.prepared import Prepared
from clusterviz.session import Session, format_number


def test_from_payload_gives_a_new_session_and_leaves_the_old_one_alone():
    old = Session(builtin_dataset("three_blobs"), n_clusters=3)
    old.step()
    saved = Session(builtin_dataset("moons"), algorithm="gmm", n_clusters=2)
    saved.step()
    before = (old.version, old.cursor, old.algorithm, old.n_points)
    new = Session.from_payload(saved.to_payload(), "m.clusterviz")
    assert new is not old and new is not saved
    assert (old.version, old.cursor, old.algorithm, old.n_points) == before
    assert new.algorithm == "gmm" and new.cursor == 1


def test_the_session_passes_one_prepared_object_per_data_version_to_its_model(monkeypatch):
    s = Session(builtin_dataset("three_blobs"), n_clusters=3)
    seen = []
    for name in ("e_step", "m_step", "step_halves"):  # a full step calls step_halves, a half one e_ or m_step
        method = getattr(s.model, name)
        monkeypatch.setattr(s.model, name, lambda X, state, method=method: seen.append(X) or method(X, state))
    s.step()
    s.half_step()
    s.step()
    assert seen and all(isinstance(X, Prepared) for X in seen)
    assert len({id(X) for X in seen}) == 1 and seen[0] is s.prepared
    s.add_point(0.5, 0.5)
    assert s.prepared is not seen[0] and s.prepared.X is s.X


@pytest.mark.parametrize("name", registry.algorithm_names())
def test_objective_name_and_info_symbol_come_from_the_registry(name):
    entry = registry.get_algorithm(name)
    s = Session(builtin_dataset("three_blobs"), algorithm=name, n_clusters=3)
    assert s.objective_name == entry.objective_name and s.algorithm_entry is entry
    assert f" · {entry.objective_symbol} = " in s.info_text()
    assert ("β = " in s.info_text()) == entry.uses_beta


@pytest.mark.parametrize("value, text", [
    (0, "0.00"), (123.456, "123.46"), (-0.01, "-0.01"), (0.001234, "0.001234"), (8901.774, "8901.77"),
    (-323357.514, "-323,357.51"), (-123456789.0, "-123,456,789.00"), (5.129e10, "51,290,000,000"),
    (2.5e16, "2.5e+16"), (np.float64(1e-7), "1e-07"),
])
def test_format_number(value, text):
    assert format_number(value) == text


def test_start_from_replaces_the_init_entry_after_the_picks():
    s = Session(builtin_dataset("three_blobs"), n_clusters=3, show_seeding=True)
    s.run_to_convergence()
    start = dataclasses.replace(s.timeline[3], means=s.timeline[3].means + 0.5)
    picks = s.timeline[:3]
    version = s.version
    s.start_from(start)
    assert s.phases == ("seed",) * 3 + ("init",) and s.cursor == 0 and s.version > version
    assert all(a is b for a, b in zip(s.timeline, picks)) and s.timeline[3] is not start
    np.testing.assert_array_equal(s.timeline[3].means, start.means)
    s.start_from(start, after_picks=False)
    assert s.phases == ("init",)
    with pytest.raises(ValueError, match="phase 'init'"):
        s.start_from(s.step())
    empty = Session(n_clusters=3)
    with pytest.raises(ValueError, match="no fit"):
        empty.start_from(start)


def test_start_from_refuses_a_start_of_another_shape_and_keeps_the_timeline():
    import dataclasses

    import numpy as np
    import pytest

    from clusterviz.data import builtin_dataset
    from clusterviz.model import ModelError
    from clusterviz.session import Session

    for algorithm in ("kmeans", "gmm"):
        session = Session(builtin_dataset("three_blobs"), algorithm=algorithm, n_clusters=3)
        session.step()
        before = list(session.timeline)
        start = before[0]
        wrong = [dataclasses.replace(start, means=np.zeros((5, 3))),
                 dataclasses.replace(start, weights=np.full(4, 0.25))]
        if start.covariances is not None:
            wrong.append(dataclasses.replace(start, covariances=None))
        for entry in wrong:
            with pytest.raises(ValueError, match="shape"):
                session.start_from(entry)
            assert session.timeline == before
        with pytest.raises(ModelError):  # the right shape, but no number the model can use
            session.start_from(dataclasses.replace(start, means=np.full((3, 2), np.nan)))
        assert session.timeline == before and session.info_text()
        moved = dataclasses.replace(start, means=start.means + 0.5)
        session.start_from(moved)
        np.testing.assert_array_equal(session.timeline[0].means, moved.means)
        assert len(session.timeline) == 1 and session.step() is not None
