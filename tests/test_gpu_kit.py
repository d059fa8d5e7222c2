"""devtools.gpu_kit and devtools/gpu_phase.sh: pairs packed into parts that travel, unpacked and trained on by the
device-side script (here on the CPU, a few steps from the bundled model), and the generator split into pieces
that come back and join into the same weights."""

from __future__ import annotations

import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest
import torch
from p2p_testutils import REPO_ROOT, make_dataset, subprocess_env

from devtools import gpu_kit
from p2p.data import list_pairs, read_pair
from p2p.weights import load_generator


def test_pack_spreads_the_pairs_over_parts_that_read_as_training_pairs(tmp_path: Path) -> None:
    data = make_dataset(tmp_path / "data", train=12, val=1, size=256)
    parts = gpu_kit.pack(data, tmp_path / "pack", pairs=9, part_mib=0.02)
    assert len(parts) > 1 and all(p.stat().st_size <= 0.02 * gpu_kit.MIB for p in parts)
    for part in parts:
        with tarfile.open(part) as tar:
            tar.extractall(tmp_path / "unpacked", filter="data")
    packed = list_pairs(tmp_path, "unpacked")
    originals = {p.stem: p for p in list_pairs(data, "train")}
    assert len(packed) == 9 and {p.stem for p in packed} <= set(originals)
    for path in packed:
        drawing, photo = read_pair(path)
        was_drawing, was_photo = read_pair(originals[path.stem])
        assert drawing.shape == was_drawing.shape and photo.shape == was_photo.shape
        assert np.abs(photo.astype(int) - was_photo).mean() < 6  # WebP at 80: close, not exact


def test_split_pieces_join_into_the_fp16_generator(tmp_path: Path) -> None:
    pieces = gpu_kit.split(REPO_ROOT / "checkpoints" / "sketch2face-celeba", tmp_path / "pieces", piece_mib=15)
    assert len(pieces) == 2 and all(p.stat().st_size <= 15 * gpu_kit.MIB for p in pieces)
    gpu_kit.join(tmp_path / "pieces", tmp_path / "joined")
    joined, shipped = load_generator(tmp_path / "joined"), load_generator(REPO_ROOT / "checkpoints/sketch2face-celeba")
    for a, b in zip(joined.state_dict().values(), shipped.state_dict().values(), strict=True):
        torch.testing.assert_close(a, b, atol=1e-3, rtol=1e-3)  # the bundled weights are fp16 already


def test_join_names_what_is_missing(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="gpu_kit split"):
        gpu_kit.join(tmp_path, tmp_path / "joined")


@pytest.mark.slow
def test_the_device_script_unpacks_trains_and_brings_the_generator_back(tmp_path: Path) -> None:
    data = make_dataset(tmp_path / "data", train=6, val=1, size=256)
    parts = gpu_kit.pack(data, tmp_path / "pack", part_mib=0.05)
    out = tmp_path / "out"
    out.mkdir()
    env = subprocess_env(PYTHON=sys.executable, PAIRS=str(tmp_path / "pairs"), RUN=str(tmp_path / "run"), OUT=str(out))
    script = str(REPO_ROOT / "devtools" / "gpu_phase.sh")
    for part in parts:
        subprocess.run(["bash", script, "unpack", str(part)], env=env, check=True, capture_output=True)
    assert len(list_pairs(tmp_path / "pairs", "train")) == 6
    # stopped by the clock as on the GPU (timeout's SIGTERM to the trainer and its loader's worker), after a few steps
    flags = ["--batch-size", "2", "--workers", "1", "--snapshot-every", "0", "--log-every", "1"]
    result = subprocess.run(["bash", script, "train", "0.5", *flags], env=env, capture_output=True, text=True)
    assert result.returncode == 0 and "stopped early" in result.stdout, result.stderr[-2000:]
    assert (out / "losses.csv").is_file() and len(list((out / "final").glob("model.safetensors.*"))) == 2
    gpu_kit.join(out / "final", tmp_path / "back")
    trained, shipped = load_generator(tmp_path / "back"), load_generator(REPO_ROOT / "checkpoints/sketch2face-celeba")
    assert trained.num_downs == 8 and trained.z_dim == 8  # the bundled model's architecture
    assert any(not torch.equal(a, b) for a, b in zip(trained.parameters(), shipped.parameters()))  # fine-tuned
