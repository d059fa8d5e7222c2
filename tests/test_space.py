"""Assembling the Hugging Face Space, offline: its files, its configuration, and the upload calls."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
from huggingface_hub import SpaceCard
from test_repo_hygiene import HASH_LIST, load_dataset_hashes

import space
from p2p.weights import MODEL_ENV_VAR

MAX_SPACE_BYTES_WITHOUT_MODEL = 2 * 2**20


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, app_model_dir: Path) -> Path:
    return space.build(tmp_path_factory.mktemp("space") / "out", str(app_model_dir), repo_id="someone/sketch2face")


def files(folder: Path) -> dict[str, Path]:
    return {p.relative_to(folder).as_posix(): p for p in sorted(folder.rglob("*")) if p.is_file()}


def test_the_space_has_the_app_its_packages_examples_and_model(built):
    names = files(built)
    for required in ["app.py", "README.md", "requirements.txt", "LICENSE", "p2p/inference.py", "ui/images.py"]:
        assert required in names
    assert {"data_prep/imageio.py", "data_prep/edges.py", "data_prep/framing.py"} <= set(names)
    assert {"ui/live_canvas.py", "ui/live_canvas.js", "ui/live_canvas.css", "ui/seeds.py"} <= set(names)
    model_files = {"config.json", "model.safetensors", "colour_grade.json"}
    assert {f"checkpoints/sketch2face-celeba/{name}" for name in model_files} <= set(names)
    examples = {n for n in names if n.startswith("examples/") and n.endswith(".png")}
    assert examples == {f"examples/{p.name}" for p in (space.REPO_ROOT / "examples").glob("*.png")} != set()
    assert not [n for n in names if n.startswith(("tests/", "benchmarks/", "data/", "runs/")) or "__pycache__" in n]


def test_front_matter_configures_a_gradio_space(built):
    card = SpaceCard.load(built / "README.md")
    meta = card.data.to_dict()
    assert meta["sdk"] == "gradio" and meta["sdk_version"] == version("gradio")
    assert meta["app_file"] == "app.py" and meta["title"] and meta["emoji"]
    assert meta["license"] == "other" and "non-commercial" in card.text
    assert len(meta["short_description"]) <= 60, "the Hub's limit"
    assert 'Client("someone/sketch2face")' in card.text and 'api_name="/generate"' in card.text


def test_requirements_install_cpu_torch_and_the_repos_pins(built):
    lines = (built / "requirements.txt").read_text().splitlines()
    assert lines[0] == f"--extra-index-url {space.CPU_TORCH_INDEX}"
    repo_lines = [line.strip() for line in (space.REPO_ROOT / "requirements.txt").read_text().splitlines()]
    assert lines[1:] == [line for line in repo_lines if line and not line.startswith("#")]
    assert f"gradio=={version('gradio')}" in lines


def test_no_dataset_image_and_small(built):
    total = sum(p.stat().st_size for p in files(built).values())
    model = built / "checkpoints" / "sketch2face-celeba" / "model.safetensors"
    assert total - model.stat().st_size < MAX_SPACE_BYTES_WITHOUT_MODEL
    assert not [n for n in files(built) if n.lower().endswith((".jpg", ".jpeg"))], "dataset photos are JPEGs"
    if HASH_LIST.is_file():
        hashes = load_dataset_hashes()
        blobs = subprocess.run(
            ["git", "hash-object", *map(str, files(built).values())], capture_output=True, text=True, check=True
        ).stdout.split()
        assert not set(blobs) & set(hashes)


SPACE_SMOKE_TEST = """
from pathlib import Path
import app
from p2p.inference import FaceGenerator
assert Path(app.__file__).resolve().parent == Path.cwd().resolve(), app.__file__
app.build_demo(FaceGenerator.from_pretrained())  # the default model: the Space's checkpoints/ folder
print(len(app.EXAMPLES))
"""


@pytest.mark.slow
def test_the_space_runs_on_its_own_files(built):
    """From the Space folder alone (not this checkout), app.py builds its UI on the bundled model."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", MODEL_ENV_VAR)}
    result = subprocess.run(
        [sys.executable, "-c", SPACE_SMOKE_TEST], cwd=built, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert int(result.stdout.split()[-1]) >= 3


def test_build_refuses_a_missing_model(tmp_path):
    with pytest.raises(FileNotFoundError, match="no-such-model"):
        space.build(tmp_path / "out", str(tmp_path / "no-such-model"))
    with pytest.raises(SystemExit, match="Train a model first"):
        space.main(["build", str(tmp_path / "out"), "--model", str(tmp_path / "no-such-model")])


def test_build_never_deletes_what_it_did_not_build(tmp_path, app_model_dir):
    work = tmp_path / "work"
    work.mkdir()
    (work / "notes.txt").write_text("precious")
    with pytest.raises(FileExistsError, match="not a previous Space build"):
        space.build(work, str(app_model_dir))
    assert (work / "notes.txt").read_text() == "precious"
    with pytest.raises(FileExistsError, match="holds this repository"):
        space.build(space.REPO_ROOT, str(app_model_dir))
    out = space.build(tmp_path / "out", str(app_model_dir))
    (out / "stale.txt").write_text("from an older build")
    assert not (space.build(out, str(app_model_dir)) / "stale.txt").exists(), "a previous build is replaced"


def test_build_uses_the_default_model(tmp_path, app_model_env):
    out = space.build(tmp_path / "out")
    assert (out / "checkpoints" / "sketch2face-celeba" / "model.safetensors").read_bytes() == (
        app_model_env / "model.safetensors"
    ).read_bytes()


class FakeHub:
    """Records HfApi calls instead of talking to the Hub."""

    calls: list[tuple[str, tuple, dict]] = []

    def __init__(self, token: str | None = None) -> None:
        self.calls.append(("init", (), {"token": token}))

    def create_repo(self, *args, **kwargs):
        self.calls.append(("create_repo", args, kwargs))
        return f"https://huggingface.co/spaces/{args[0]}"

    def upload_folder(self, **kwargs):
        folder = Path(kwargs["folder_path"])
        assert (folder / "app.py").is_file() and (folder / "README.md").is_file()
        self.calls.append(("upload_folder", (), kwargs))

    def add_space_variable(self, *args):
        self.calls.append(("add_space_variable", args, {}))


@pytest.fixture
def fake_hub(monkeypatch: pytest.MonkeyPatch) -> list:
    FakeHub.calls = []
    monkeypatch.setattr(space, "HfApi", FakeHub)
    return FakeHub.calls


def test_push_creates_a_gradio_space_and_uploads_the_build(fake_hub, app_model_dir):
    url = space.push("someone/sketch2face", str(app_model_dir), token="hf_test")
    assert url == "https://huggingface.co/spaces/someone/sketch2face"
    kinds = [call[0] for call in fake_hub]
    assert kinds == ["init", "create_repo", "upload_folder"]
    assert fake_hub[0][2] == {"token": "hf_test"}
    _, args, kwargs = fake_hub[1]
    assert args == ("someone/sketch2face",)
    assert kwargs["repo_type"] == "space" and kwargs["space_sdk"] == "gradio" and kwargs["exist_ok"]
    upload = fake_hub[2][2]
    assert upload["repo_id"] == "someone/sketch2face" and upload["repo_type"] == "space"
    assert upload["ignore_patterns"] == [space.BUILD_MARKER]


def test_push_with_a_hub_model_sets_the_spaces_model_variable(fake_hub):
    space.push("someone/sketch2face", "someone/sketch2face-weights")
    assert ("add_space_variable", ("someone/sketch2face", MODEL_ENV_VAR, "someone/sketch2face-weights"), {}) in fake_hub
    upload = next(kwargs for kind, _, kwargs in fake_hub if kind == "upload_folder")
    assert upload["repo_id"] == "someone/sketch2face"
