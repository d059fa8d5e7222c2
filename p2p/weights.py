"""Loading generator weights: shipped checkpoint, local folders, Hub ids, reference `.pth` files.

`python -m p2p.weights SRC --out DIR [--fp16] [--push-to-hub OWNER/NAME [--code-url URL]]`
publishes a trained generator.

Everything that goes wrong while loading becomes a `CheckpointError` that names
the file or id and says what to do, instead of a traceback from deep inside a
library. Nothing here unpickles: weights are safetensors, and a reference
implementation `.pth` goes through `torch.load(weights_only=True)`.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import re
import shutil
import tempfile
import threading
from pathlib import Path

import torch
from huggingface_hub import HfApi, snapshot_download
from huggingface_hub.errors import HfHubHTTPError, HFValidationError, LocalEntryNotFoundError, OfflineModeIsEnabled
from huggingface_hub.utils import validate_repo_id
from safetensors import SafetensorError

from p2p.grade import GRADE_NAME
from p2p.model import CONFIG_FORMAT_VERSION, UNetGenerator

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CHECKPOINT = PROJECT_ROOT / "checkpoints" / "sketch2face-celeba"
MODEL_ENV_VAR = "SKETCH2FACE_MODEL"
WEIGHTS_NAME = "model.safetensors"
CONFIG_NAME = "config.json"
FORMAT_1_OPTIONAL = {"upsample", "z_dim"}
"""Settings a format-1 config.json (the first release's, with no "format_version") may leave to their defaults."""
HUB_TIMEOUT_S = float(os.environ.get("SKETCH2FACE_HUB_TIMEOUT", 30))
"""Longest wait for a Hub download before saying the Hub cannot be reached."""


class CheckpointError(RuntimeError):
    """A checkpoint could not be loaded; the message names it and says why."""


def default_checkpoint() -> str:
    """The model the app and CLIs use when none is given: `$SKETCH2FACE_MODEL` or the shipped one."""
    return os.environ.get(MODEL_ENV_VAR) or str(DEFAULT_CHECKPOINT)


def is_hub_id(source: str) -> bool:
    """Whether `source` reads as a Hub model id ('owner/name') rather than a local path."""
    if source.startswith((".", "/", "~")) or source.count("/") != 1 or Path(source).parent.is_dir():
        return False
    try:
        validate_repo_id(source)
    except HFValidationError:
        return False
    return True


def check_checkpoint(folder: Path) -> None:
    """Refuse a folder that is not a `save_pretrained` generator: both files there, a generator's config."""
    for name in (CONFIG_NAME, WEIGHTS_NAME):
        if not (folder / name).is_file():
            raise CheckpointError(f"{folder} is not a generator checkpoint: {name} is missing")
    check_config(folder / CONFIG_NAME)


def check_config(path: Path) -> None:
    """Refuse a config.json that is not a generator's: one line naming what is wrong."""
    try:
        config = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise CheckpointError(f"{path} is not valid JSON: {err}") from err
    if not isinstance(config, dict):
        raise CheckpointError(f"{path} must hold a JSON object of generator settings, not {type(config).__name__}")
    version = config.get("format_version", 1)
    if version not in (1, CONFIG_FORMAT_VERSION):
        raise CheckpointError(
            f"{path} has format_version {version!r}; this sketch2face reads formats 1 and {CONFIG_FORMAT_VERSION}"
            + (" (upgrade sketch2face)" if isinstance(version, int) and version > CONFIG_FORMAT_VERSION else "")
        )
    known = set(inspect.signature(UNetGenerator.__init__).parameters) - {"self"}
    optional = FORMAT_1_OPTIONAL if version == 1 else set()
    unknown, missing = sorted(set(config) - known - {"format_version"}), sorted(known - optional - set(config))
    if unknown or missing:
        problems = ([f"unknown keys {unknown}"] if unknown else []) + ([f"missing keys {missing}"] if missing else [])
        raise CheckpointError(f"{path} is not a generator config: {' and '.join(problems)}")


def download(repo_id: str) -> Path:
    """The local snapshot folder of a Hub model: from the cache when it is there, else downloaded,
    giving up after `HUB_TIMEOUT_S` seconds whatever the network does (no answer, slow answer, retries)."""
    options = {"repo_id": repo_id, "allow_patterns": [CONFIG_NAME, WEIGHTS_NAME, GRADE_NAME]}
    try:
        return Path(snapshot_download(local_files_only=True, **options))
    except LocalEntryNotFoundError:
        pass
    result: dict[str, object] = {}

    def fetch() -> None:
        try:
            result["path"] = snapshot_download(**options)
        except Exception as err:  # handed to the caller's thread below
            result["error"] = err

    worker = threading.Thread(target=fetch, daemon=True, name=f"download {repo_id}")
    worker.start()
    worker.join(HUB_TIMEOUT_S)
    if worker.is_alive():
        raise CheckpointError(
            f"{repo_id}: could not reach the Hugging Face Hub within {HUB_TIMEOUT_S:g} s (offline or a slow "
            f"network?). Download it once with network access, or pass a local folder."
        )
    if "error" in result:
        raise result["error"]  # type: ignore[misc]
    return Path(str(result["path"]))


def checkpoint_folder(source: str | os.PathLike | None = None) -> Path:
    """The local folder of a checkpoint: a `save_pretrained` folder, the folder of a `.safetensors` file beside
    its `config.json`, or a Hugging Face Hub id's snapshot (through the Hub cache, so cached ids load offline)."""
    source = str(source or default_checkpoint())
    path = Path(source).expanduser()
    if path.is_file() and path.suffix == ".pth":
        raise CheckpointError(f"{path} is a PyTorch .pth file: load it with load_reference_pth(path, ...)")
    if path.is_file():
        path = path.parent
    if not path.is_dir():
        if not is_hub_id(source):
            raise CheckpointError(f"{source}: no such checkpoint folder, and not a Hub id of the form 'owner/name'")
        try:
            path = download(source)
        except (OfflineModeIsEnabled, LocalEntryNotFoundError) as err:
            raise CheckpointError(
                f"{source}: no such local folder, not in the local Hugging Face cache, and the Hub cannot be "
                f"reached (offline?). Download it once with network access, or pass a local folder."
            ) from err
        except HfHubHTTPError as err:
            raise CheckpointError(
                f"{source}: the Hub refused the download ({err}). Check the id and your token."
            ) from err
    check_checkpoint(path)
    return path


def load_generator(source: str | os.PathLike | None = None, device: str | torch.device = "cpu") -> UNetGenerator:
    """Load a generator from a checkpoint folder, a `.safetensors` file or a Hub id (`checkpoint_folder`)."""
    path = checkpoint_folder(source)
    try:
        # strict: the mixin's default (False) would silently keep random weights for missing ones.
        model = UNetGenerator.from_pretrained(str(path), map_location=str(device), strict=True)
    except (SafetensorError, OSError, ValueError, RuntimeError, TypeError) as err:
        raise CheckpointError(
            f"{source or path}: the weights in {WEIGHTS_NAME} cannot be loaded into a generator: {err}"
        ) from err
    return model.to(device).eval()


def _reference_key_map(num_downs: int) -> dict[str, str]:
    """Parameter-name prefixes of the reference implementation's nested UnetGenerator → ours."""
    mapping = {"model.model.0": "downs.0", "model.model.3": f"ups.{num_downs - 1}.1"}
    block = "model.model.1"
    for level in range(1, num_downs - 1):
        mapping |= {
            f"{block}.model.1": f"downs.{level}.1",
            f"{block}.model.2": f"downs.{level}.2",
            f"{block}.model.5": f"ups.{num_downs - 1 - level}.1",
            f"{block}.model.6": f"ups.{num_downs - 1 - level}.2",
        }
        block += ".model.3"
    mapping |= {
        f"{block}.model.1": f"downs.{num_downs - 1}.1",
        f"{block}.model.3": "ups.0.1",
        f"{block}.model.4": "ups.0.2",
    }
    return mapping


def load_reference_pth(path: str | os.PathLike, **architecture: object) -> UNetGenerator:
    """Load a `latest_net_G.pth` of the reference pix2pix implementation (junyanz/pytorch-CycleGAN-and-pix2pix).

    The file holds no architecture, so give it: e.g. `in_channels=3, ngf=64, num_downs=8, norm="batch"`.
    The reference omits conv biases next to batch norm; those stay zero here, which is the same function.
    """
    path = Path(path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises many types for a bad file; all mean the same here
        raise CheckpointError(f"{path}: not a readable PyTorch weights file ({err})") from err
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise CheckpointError(f"{path}: expected a state dict of tensors")
    model = UNetGenerator(**architecture)  # type: ignore[arg-type]
    renamed = {}
    for prefix, ours in _reference_key_map(model.num_downs).items():
        for key, value in state.items():
            if key.startswith(prefix + "."):
                renamed[ours + key[len(prefix) :]] = value
    own = model.state_dict()
    for key, value in own.items():  # biases the reference leaves out, and BN's counters
        if key not in renamed and (key.endswith(".bias") or key.endswith("num_batches_tracked")):
            renamed[key] = torch.zeros_like(value)
    try:
        model.load_state_dict(renamed, strict=True)
    except RuntimeError as err:
        raise CheckpointError(f"{path}: does not match the given architecture {architecture}: {err}") from err
    return model.eval()


def export_generator(generator: UNetGenerator, folder: str | os.PathLike) -> None:
    """`save_pretrained` into a temporary folder, then swap it in, so `folder` is never half-written."""
    folder = Path(folder)
    tmp, old = folder.with_name(folder.name + ".tmp"), folder.with_name(folder.name + ".old")
    shutil.rmtree(tmp, ignore_errors=True)
    generator.save_pretrained(tmp)
    if folder.exists():
        os.replace(folder, old)
    os.replace(tmp, folder)
    shutil.rmtree(old, ignore_errors=True)


class UploadError(RuntimeError):
    """An upload to the Hub that failed (network, login, permission); the message says what to do."""


def upload(folder: Path, repo_id: str, saved_in: str | None = None) -> None:
    """Upload a release folder to a Hub model repo in one commit, creating the repo when it is new."""
    try:
        api = HfApi()
        repo_id = api.create_repo(repo_id, exist_ok=True).repo_id
        api.upload_folder(repo_id=repo_id, folder_path=folder, commit_message="Upload the sketch2face generator")
    except Exception as err:  # huggingface_hub raises its own errors and its HTTP client's: all mean the same here
        kept = f"; the local copy in {saved_in} is complete" if saved_in else ""
        raise UploadError(
            f"could not upload to the Hub as {repo_id}: {err}{kept}. Log in with `hf auth login` (or set HF_TOKEN), "
            "check the network and the repo's name, then run the same command again"
        ) from err


MARKDOWN_LINK = re.compile(r"(!?)\[([^\]]*)\]\(([^)\s]+)\)")


def card_for_hub(card: str, card_dir: Path, code_url: str | None = None) -> str:
    """The model card as the Hub shows it: a link to a file outside the release (the project's README, its
    recipes and docs, which a checkout reaches as `../../docs/…`) would break there, so it points to `code_url`
    (where the project's files are published, e.g. `https://github.com/OWNER/sketch2face/blob/main`) or, without
    one, becomes its plain text. Links into the release folder and to web pages stay as they are."""

    card_dir = card_dir.resolve()

    def rewrite(match: re.Match[str]) -> str:
        bang, text, target = match.groups()
        path, _, anchor = target.partition("#")
        if not path or "://" in path or path.startswith("mailto:"):
            return match.group(0)  # a web page or an anchor
        resolved = (card_dir / path).resolve()
        if resolved.parent == card_dir:
            return match.group(0)  # a file beside the card travels with it
        if code_url and resolved.is_relative_to(PROJECT_ROOT):
            url = f"{code_url.rstrip('/')}/{resolved.relative_to(PROJECT_ROOT).as_posix()}"
            return f"{bang}[{text}]({url}{'#' + anchor if anchor else ''})"
        return text

    return MARKDOWN_LINK.sub(rewrite, card)


CARD_SUFFIXES = (".md", ".json", ".png", ".jpg")
"""Files beside the weights that travel with them: the model card, its colour grade, metrics and sheets."""


def publish(
    source: str, dest: str | None = None, fp16: bool = False, repo_id: str | None = None, code_url: str | None = None
) -> UNetGenerator:
    """Copy a generator for release, optionally as fp16 (half the size, same faces to the eye), into a local
    folder and/or to the Hub. The release is staged as one folder (`save_pretrained`'s weights and config, plus the
    source folder's model card, colour grade, metrics and sheets) and uploaded in one commit, so a Hub copy is
    never left without its grade or card; the uploaded card's links out of the folder go through `card_for_hub`."""
    folder = checkpoint_folder(source)
    model = load_generator(folder)
    if fp16:
        model = model.half()
    with tempfile.TemporaryDirectory() as tmp:
        release = Path(tmp)
        for extra in sorted(folder.iterdir()):
            if extra.is_file() and extra.suffix in CARD_SUFFIXES and extra.name != "config.json":
                shutil.copyfile(extra, release / extra.name)
        model.save_pretrained(release)  # writes the weights and config; keeps a README.md already there
        card_dir = folder
        if dest:  # a model card already there is kept, as `save_pretrained` keeps it, and is the one uploaded
            card = Path(dest) / "README.md"
            keep_card = shutil.ignore_patterns("README.md") if card.is_file() else None
            shutil.copytree(release, dest, dirs_exist_ok=True, ignore=keep_card)
            shutil.copyfile(card, release / "README.md")
            card_dir = Path(dest)
        if repo_id:
            card = release / "README.md"
            card.write_text(card_for_hub(card.read_text(), card_dir, code_url))
            upload(release, repo_id, saved_in=dest)
    return model


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Copy a trained generator to a folder and/or the Hugging Face Hub.")
    parser.add_argument("source", help="checkpoint folder (e.g. runs/NAME/generator) or Hub id")
    parser.add_argument("--out", help="folder to save_pretrained into (e.g. checkpoints/my-model)")
    parser.add_argument("--fp16", action="store_true", help="store the weights as float16")
    parser.add_argument("--push-to-hub", metavar="OWNER/NAME", help="upload to this Hub model repo (needs a token)")
    parser.add_argument(
        "--code-url",
        metavar="URL",
        help="where this project's files are published (e.g. https://github.com/OWNER/sketch2face/blob/main): the "
        "uploaded model card's links to its README, recipes and docs point there; without it they become plain text",
    )
    args = parser.parse_args(argv)
    if not (args.out or args.push_to_hub):
        parser.error("give --out and/or --push-to-hub")
    if args.code_url and not args.push_to_hub:
        parser.error("--code-url only changes the card uploaded with --push-to-hub")
    try:
        publish(args.source, args.out, args.fp16, args.push_to_hub, args.code_url)
    except (CheckpointError, UploadError) as err:
        parser.exit(2, f"error: {err}\n")
    where = [f"to {args.out}"] if args.out else []
    where += [f"to the Hub as {args.push_to_hub}"] if args.push_to_hub else []
    print("saved " + " and ".join(where))


if __name__ == "__main__":
    main()
