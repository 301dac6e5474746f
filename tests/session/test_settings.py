"""SessionSettings: validated, frozen, derived from the registry."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from clusterviz.model import registry
from clusterviz.session import ALGORITHM_NAMES, ALGORITHMS, COVARIANCE_TYPES, INITS, SessionSettings


def test_the_lists_come_from_the_registry():
    assert ALGORITHMS == registry.algorithm_names() == ("kmeans", "gmm", "soft-kmeans", "hmm")
    assert ALGORITHM_NAMES == {"kmeans": "K-Means", "gmm": "Gaussian mixture (EM)", "soft-kmeans": "Soft K-Means",
                               "hmm": "Hidden Markov model (HMM, Baum-Welch)"}
    assert INITS == ("random", "k-means++")
    assert COVARIANCE_TYPES == ("full", "tied", "diag", "spherical")


@pytest.mark.parametrize("field, value, message", [
    ("algorithm", "dbscan", r"algorithm='dbscan' is not allowed; choose one of 'kmeans', 'gmm', 'soft-kmeans'"),
    ("init", "forgy", r"init='forgy' is not allowed"),
    ("covariance_type", "round", r"covariance_type='round'"),
    ("n_clusters", 0, r"n_clusters=0 should be a whole number >= 1"),
    ("n_clusters", True, r"n_clusters=True"),
    ("seed", -1, r"seed=-1 should be a whole number >= 0"),
    ("beta", float("inf"), r"beta=inf should be a finite number > 0"),
    ("beta", 0, r"beta=0"),
    ("max_iter", 2.0, r"max_iter=2.0"),
    ("show_seeding", "no", r"show_seeding='no' should be True or False"),
])
def test_every_field_is_checked(field, value, message):
    with pytest.raises(ValueError, match=message):
        SessionSettings(**{field: value})
    with pytest.raises(ValueError, match=message):
        SessionSettings().replace(**{field: value})


def test_settings_are_frozen_and_normalised():
    s = SessionSettings(n_clusters=np.int64(4), beta=2, show_seeding=np.bool_(True))
    assert type(s.n_clusters) is int and type(s.beta) is float and s.show_seeding is True
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.n_clusters = 5


@pytest.mark.parametrize("name", ALGORITHMS)
def test_what_an_algorithm_uses_is_its_registry_entry(name):
    entry = registry.get_algorithm(name)
    s = SessionSettings(algorithm=name, covariance_type="tied", beta=3.0, seed=2, n_clusters=5)
    assert s.entry is entry
    assert s.uses_covariance_type == ("tied" in entry.covariance_types)
    m = s.model_settings()
    assert (m.n_clusters, m.seed, m.covariance_type, m.beta, m.initial_means) == (5, 2, "tied", 3.0, None)


def test_seeding_is_shown_only_for_kmeans_plusplus_without_hand_placed_means():
    assert not SessionSettings().seeds_shown
    assert SessionSettings(show_seeding=True).seeds_shown
    assert not SessionSettings(show_seeding=True, init="random").seeds_shown
    means = np.zeros((3, 2))
    assert not SessionSettings(show_seeding=True, initial_means=means).seeds_shown


def test_the_cluster_limit_is_defined_once_for_data_and_session():
    from clusterviz.data import limits
    from clusterviz.session import settings

    assert settings.MAX_CLUSTERS is limits.MAX_CLUSTERS and limits.MAX_CLUSTERS == 12
