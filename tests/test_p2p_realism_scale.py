"""p2p.realism_scale: degraded copies of real photos as reference points for the two-sample test."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from p2p_testutils import make_dataset

from p2p import realism_scale


def test_each_degradation_keeps_the_image_shape_and_is_the_same_on_every_run(face_photo: np.ndarray) -> None:
    for name, degrade in realism_scale.DEGRADATIONS.items():
        copy = degrade(face_photo, 3)
        assert copy.shape == face_photo.shape and copy.dtype == np.uint8, name
        assert not np.array_equal(copy, face_photo), f"{name} changed nothing"
        assert np.array_equal(degrade(face_photo, 3), copy), f"{name} is not repeatable"


def test_stronger_blur_and_shrinking_remove_more_detail(face_photo: np.ndarray) -> None:
    def detail(name: str) -> float:
        grey = cv2.cvtColor(realism_scale.DEGRADATIONS[name](face_photo, 0), cv2.COLOR_RGB2GRAY)
        return float(cv2.Laplacian(grey, cv2.CV_64F).var())

    blurs = [detail(name) for name in ("blur σ 0.5", "blur σ 1", "blur σ 2")]
    assert blurs == sorted(blurs, reverse=True) and blurs[-1] < blurs[0] / 4
    assert detail("shrunk 4×") < detail("shrunk 2×")


def test_the_scale_end_to_end_on_a_tiny_dataset(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = make_dataset(tmp_path / "data", train=2, val=8)
    out = tmp_path / "scale.json"
    assert realism_scale.main(["--data", str(data), "--sizes", "32", "--splits", "2", "--out", str(out)]) == 0
    assert json.loads(out.read_text())["splits"] == 2
    scale = json.loads(out.read_text())["scale"]
    assert list(scale) == list(realism_scale.DEGRADATIONS)
    assert all(0.0 <= accuracy["32"] <= 1.0 for accuracy in scale.values())
    printed = capsys.readouterr().out
    assert "blur σ 2" in printed and "%" in printed


def test_too_few_photos_are_reported_not_scored(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = make_dataset(tmp_path / "data", train=2, val=3)
    assert realism_scale.main(["--data", str(data), "--sizes", "32"]) == 0
    assert "at least 4 images" in capsys.readouterr().out


def test_a_missing_dataset_or_a_bad_split_count_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for argv, message in (
        (["--data", str(tmp_path / "nothing")], "build a dataset first"),
        (["--data", str(tmp_path), "--splits", "0"], "at least 1"),
        (["--data", str(tmp_path), "--splits", "two"], "a whole number of halvings"),
    ):
        with pytest.raises(SystemExit) as exit_info:
            realism_scale.main(argv)
        assert exit_info.value.code == 2
        assert message in capsys.readouterr().err
