"""Repository hygiene: no licensed dataset image and no huge file may be committed.

The dataset photos live beside the checkout in ``../shared/data/`` (CelebA, UTKFace,
FS2K: non-commercial research only). ``../shared/data/image-hashes.txt`` lists the git
blob id of every image there (``<blob sha1> <path>`` per line), so a copy of one of
them is recognised by content, whatever its name or location in the repo.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
HASH_LIST = SHARED_DATA / "image-hashes.txt"
MAX_FILE_BYTES = 60 * 1024 * 1024


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


def load_dataset_hashes(hash_list: Path = HASH_LIST) -> dict[str, str]:
    """Map blob sha1 -> dataset path, from ``image-hashes.txt``."""
    hashes = {}
    for line in hash_list.read_text().splitlines():
        parts = line.strip().split(maxsplit=1)
        if len(parts) == 2:
            hashes[parts[0].lower()] = parts[1]
    return hashes


def tracked_blobs(repo: Path) -> dict[str, str]:
    """Map path -> blob sha1 for every file in the git index of ``repo``."""
    blobs = {}
    for line in _git(repo, "ls-files", "-s", "-z").split("\0"):
        if line:
            meta, path = line.split("\t", 1)
            mode, sha, _stage = meta.split()
            if mode != "160000":  # skip submodules (commit ids, not blobs)
                blobs[path] = sha
    return blobs


def find_dataset_images(repo: Path, dataset_hashes: dict[str, str]) -> list[str]:
    """Tracked files of ``repo`` whose content is a dataset image, as readable lines."""
    return [
        f"{path} (= ../shared/data/{dataset_hashes[sha]})"
        for path, sha in sorted(tracked_blobs(repo).items())
        if sha in dataset_hashes
    ]


def _require_git_checkout() -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    probe = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "rev-parse", "--show-toplevel"], capture_output=True, text=True
    )
    if probe.returncode != 0 or Path(probe.stdout.strip()).resolve() != REPO_ROOT:
        pytest.skip(f"{REPO_ROOT} is not a git checkout")


@pytest.fixture(scope="module")
def dataset_hashes() -> dict[str, str]:
    if not HASH_LIST.is_file():
        pytest.skip(f"dataset hash list not found: {HASH_LIST}")
    hashes = load_dataset_hashes()
    assert hashes, f"{HASH_LIST} lists no hashes"
    return hashes


def test_no_dataset_image_is_tracked(dataset_hashes):
    _require_git_checkout()
    found = find_dataset_images(REPO_ROOT, dataset_hashes)
    assert not found, (
        "Licensed dataset images are tracked by git (non-commercial research data must never be committed); "
        "remove them with `git rm --cached <file>`:\n  " + "\n  ".join(found)
    )


def test_detector_flags_a_dataset_image(dataset_hashes, tmp_path):
    """Prove the check can fail: a copy of a dataset image in a scratch repo is flagged."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    source = next((SHARED_DATA / p for p in dataset_hashes.values() if (SHARED_DATA / p).is_file()), None)
    if source is None:
        pytest.skip(f"none of the images listed in {HASH_LIST} exist")

    scratch = tmp_path / "scratch-repo"
    scratch.mkdir()
    _git(scratch, "init", "-q")
    (scratch / "renamed").mkdir()
    shutil.copyfile(source, scratch / "renamed" / "innocent.png")  # new name: detection is by content
    (scratch / "notes.txt").write_text("not an image\n")
    _git(scratch, "add", ".")

    found = find_dataset_images(scratch, dataset_hashes)
    assert len(found) == 1 and found[0].startswith("renamed/innocent.png"), found


def test_tracked_files_are_small():
    _require_git_checkout()
    blobs = tracked_blobs(REPO_ROOT)
    if not blobs:
        return
    batch = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "cat-file", "--batch-check=%(objectname) %(objectsize)"],
        input="\n".join(blobs.values()) + "\n",
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    sizes = dict(line.split() for line in batch.splitlines())
    too_big = [
        f"{path}: {int(sizes[sha]) / 2**20:.1f} MB"
        for path, sha in sorted(blobs.items())
        if int(sizes[sha]) > MAX_FILE_BYTES
    ]
    assert not too_big, f"tracked files over {MAX_FILE_BYTES // 2**20} MB:\n  " + "\n  ".join(too_big)
