"""The photo-panel style comparison (`evaluation.photo_styles`): its photos are the build's validation people."""

from __future__ import annotations

import pytest
from p2p_testutils import CELEBA, needs_faces

from data_prep.build import identities_beside, read_identities
from evaluation import photo_styles


@needs_faces
def test_the_photos_are_the_first_of_each_validation_person_of_a_default_build():
    photos = photo_styles.validation_photos(CELEBA, 3)
    people = {person for _, person in photos}
    assert len(photos) == 30 and len(people) == 10, "3 photos of each of the 10 people a default build holds out"
    identities = read_identities(identities_beside(CELEBA))
    assert all(identities[path.name] == person for path, person in photos)
    for person in people:
        own = sorted(name for name, identity in identities.items() if identity == person)
        assert [path.name for path, p in photos if p == person] == own[:3]


def test_a_missing_photo_folder_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit):
        photo_styles.main([str(tmp_path / "nowhere")])
    assert "is not a folder of photos" in capsys.readouterr().err


def test_the_table_has_a_row_per_style():
    result = {
        "drawn": 9,
        "likeness": {"same_person": 0.25, "landmark_error": 0.0712, "detected": 1.0},
        "realism": {"64": 0.8, "128": 0.9},
    }
    lines = photo_styles.table({"xdog": result, "canny": result}).splitlines()
    assert len(lines) == 4 and lines[2] == "| xdog | 9 | 25.0% | 0.071 | 100% | 80.0% / 90.0% |"
