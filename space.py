"""Assemble the app as a Hugging Face Space folder, and upload it.

    python space.py build [OUT_DIR]             # default space_build/ (git-ignored)
    python space.py push OWNER/NAME [--token T] # build in a temp dir, create the Space, upload

The folder holds what `python app.py` needs and nothing else: app.py, the
`p2p`, `data_prep` and `ui` packages, the example drawings, the model (copied to
checkpoints/sketch2face-celeba/, where the app looks by default), a
requirements.txt for a CPU Space, and a README.md whose front matter is the
Space configuration. A model given as a Hub id is not copied; `push` sets it
as the Space variable SKETCH2FACE_MODEL instead.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path

from huggingface_hub import HfApi, SpaceCard, SpaceCardData

from p2p.grade import GRADE_NAME
from p2p.weights import (
    CONFIG_NAME,
    DEFAULT_CHECKPOINT,
    MODEL_ENV_VAR,
    WEIGHTS_NAME,
    CheckpointError,
    check_checkpoint,
    default_checkpoint,
    is_hub_id,
)

REPO_ROOT = Path(__file__).resolve().parent
APP_FILES = ("app.py", "LICENSE")
PACKAGES = ("p2p", "data_prep", "ui")
PACKAGE_PATTERNS = ("*.py", "*.js", "*.css")  # ui's canvas script and style are read by Python at start
EXAMPLE_PATTERNS = ("*.png", "make_examples.py")
CPU_TORCH_INDEX = "https://download.pytorch.org/whl/cpu"
BUILD_MARKER = ".space-build"
"""Marks a folder `build` made, so a rebuild may replace it; never uploaded."""

CARD_BODY = """
# ✏️ Sketch to face

Draw a face as line art and watch a [pix2pix](https://arxiv.org/abs/1611.07004)
(Isola et al., 2017) U-Net generator turn it into a photo-like face while you draw.
Start from a blank canvas, one of the example drawings, or a drawing
made from your own photo (simple line art, XDoG, Canny or pencil).

## API

```python
from gradio_client import Client, handle_file

client = Client("{repo_id}")
face_path = client.predict(handle_file("drawing.png"), 42, api_name="/generate")
```

`/generate` takes a drawing (dark lines on light paper, any size) and a dropout
seed (0–9999); the same drawing and seed always give the same face.

## Licence

The code is MIT. The generator was trained on [CelebA](https://mmlab.ie.cuhk.edu.hk/projects/CelebA.html),
which is licensed for **non-commercial research use only**; the weights and the faces
they generate inherit those terms. The example drawings were drawn by code
(`examples/make_examples.py`), not traced from any photo.
"""


def space_card(repo_id: str = "OWNER/NAME") -> SpaceCard:
    """The Space's README: its configuration as YAML front matter, then a short description."""
    data = SpaceCardData(
        title="Sketch to face",
        sdk="gradio",
        sdk_version=version("gradio"),
        python_version="3.11",
        app_file="app.py",
        license="other",
        emoji="✏️",
        colorFrom="gray",
        colorTo="blue",
        short_description="Draw a face, watch pix2pix turn it into a photo-like one",
        tags=["pix2pix", "sketch-to-image", "image-to-image", "gan"],
    )
    return SpaceCard(f"---\n{data.to_yaml()}\n---\n{CARD_BODY.format(repo_id=repo_id)}")


def space_requirements(requirements: Path = REPO_ROOT / "requirements.txt") -> str:
    """The repository's pinned requirements, with torch's CPU wheels preferred (a free Space has no GPU)."""
    pins = [line.strip() for line in requirements.read_text().splitlines()]
    pins = [line for line in pins if line and not line.startswith("#")]
    return "\n".join([f"--extra-index-url {CPU_TORCH_INDEX}", *pins]) + "\n"


def is_local_model(model: str) -> bool:
    """A checkpoint folder (copied into the Space) rather than a Hub id (loaded by the Space at start)."""
    return Path(model).expanduser().is_dir()


def prepare_out_dir(out: Path) -> None:
    """Make `out` an empty folder; only a previous build is ever deleted, so no other work can be lost."""
    if out.resolve() in (REPO_ROOT, *REPO_ROOT.parents):
        raise FileExistsError(f"{out} holds this repository; build the Space somewhere else")
    if out.is_dir() and any(out.iterdir()):
        if not (out / BUILD_MARKER).is_file():
            raise FileExistsError(f"{out} is not empty and not a previous Space build; choose another folder")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / BUILD_MARKER).touch()


def build(out_dir: str | Path, model: str | None = None, repo_id: str = "OWNER/NAME") -> Path:
    """Assemble the Space in `out_dir` (a previous build there is replaced) and return it.

    `model` is a checkpoint folder or a Hub id; None means the app's default model.
    """
    model = model or default_checkpoint()
    if is_local_model(model):
        try:
            check_checkpoint(Path(model).expanduser())
        except CheckpointError as err:
            raise FileNotFoundError(str(err)) from err
    elif not is_hub_id(model):
        raise FileNotFoundError(
            f"{model}: no such checkpoint folder, and not a Hub id of the form 'owner/name'. "
            "Train a model first (see README), or pass --model."
        )
    out = Path(out_dir)
    prepare_out_dir(out)

    for name in APP_FILES:
        shutil.copy2(REPO_ROOT / name, out / name)
    for package in PACKAGES:
        (out / package).mkdir()
        for pattern in PACKAGE_PATTERNS:
            for source in sorted((REPO_ROOT / package).glob(pattern)):
                shutil.copy2(source, out / package / source.name)
    (out / "examples").mkdir()
    for pattern in EXAMPLE_PATTERNS:
        for source in sorted((REPO_ROOT / "examples").glob(pattern)):
            shutil.copy2(source, out / "examples" / source.name)
    if is_local_model(model):
        target = out / DEFAULT_CHECKPOINT.relative_to(REPO_ROOT)
        target.mkdir(parents=True)
        source = Path(model).expanduser()
        optional = [GRADE_NAME] if (source / GRADE_NAME).is_file() else []
        for name in (CONFIG_NAME, WEIGHTS_NAME, *optional):
            shutil.copy2(source / name, target / name)

    (out / "requirements.txt").write_text(space_requirements())
    space_card(repo_id).save(out / "README.md")
    return out


def push(repo_id: str, model: str | None = None, token: str | None = None, private: bool = False) -> str:
    """Build the Space in a temporary folder and upload it to `repo_id`; returns the Space's URL."""
    model = model or default_checkpoint()
    api = HfApi(token=token)
    with tempfile.TemporaryDirectory(prefix="sketch2face-space-") as tmp:
        folder = build(Path(tmp) / "space", model, repo_id)
        url = api.create_repo(repo_id, repo_type="space", space_sdk="gradio", private=private, exist_ok=True)
        api.upload_folder(
            folder_path=folder,
            repo_id=repo_id,
            repo_type="space",
            ignore_patterns=[BUILD_MARKER],
            commit_message="Update the sketch-to-face app",
        )
    if not is_local_model(model):
        api.add_space_variable(repo_id, MODEL_ENV_VAR, model)
    return str(url)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Assemble the app as a Hugging Face Space folder, and upload it.")
    commands = parser.add_subparsers(dest="command", required=True)
    build_cmd = commands.add_parser("build", help="assemble the Space folder")
    build_cmd.add_argument("out_dir", nargs="?", default="space_build", help="output folder (default: space_build)")
    push_cmd = commands.add_parser("push", help="build in a temporary folder and upload it as a Space")
    push_cmd.add_argument("repo_id", help="the Space, as OWNER/NAME (created if missing)")
    push_cmd.add_argument("--token", help="Hugging Face token (default: the logged-in one, or $HF_TOKEN)")
    push_cmd.add_argument("--private", action="store_true", help="create the Space as private")
    for cmd in (build_cmd, push_cmd):
        cmd.add_argument(
            "--model", help=f"checkpoint folder or Hub id (default: ${MODEL_ENV_VAR} or {DEFAULT_CHECKPOINT})"
        )
    args = parser.parse_args(argv)
    try:
        if args.command == "build":
            print(build(args.out_dir, args.model))
        else:
            print(push(args.repo_id, args.model, args.token, args.private))
    except OSError as err:
        sys.exit(f"space.py: {err}")


if __name__ == "__main__":
    main()
