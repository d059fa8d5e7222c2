"""Training on a lent GPU for a few minutes: training pairs packed small enough to travel there, and a generator
split small enough to come back.

The workplace's device machine (its `device` tool) takes at most 64 MiB a call, the repository's 31 MiB
included, returns files of at most 16 MiB and stays warm only 30 s between calls. So the pairs go in parts, one
call each, and `devtools/gpu_phase.sh` runs there:

    # here: parts of <= 30 MiB, so that each travels with the repository
    python -m devtools.gpu_kit pack data/celeba-2000people runs/gpu-pack --pairs 10000
    # device, one call per part but the last, carry=["runs/gpu-pack/part-000.tar"]:
    bash devtools/gpu_phase.sh unpack runs/gpu-pack/part-000.tar
    # device, the last part: unpack it, then train for 7 minutes (p2p.train flags may follow the minutes)
    bash devtools/gpu_phase.sh unpack runs/gpu-pack/part-002.tar && bash devtools/gpu_phase.sh train 7
    # here: the pieces that came back, joined into a checkpoint
    python -m devtools.gpu_kit join FILES_AT/final runs/gpu/generator

Packed pairs are WebP at quality 80, 10 KB against 31-38 KB a pair as the build's JPEG at 95: the realism test
tells photos sent through WebP at 75 (and a resize) from the originals 55 % of the time, against 50 % for none
(docs/experiments.md, "What the test notices"), so the photos stay nearly as they were.
"""

from __future__ import annotations

import argparse
import io
import shutil
import tarfile
import tempfile
from pathlib import Path

import cv2

from evaluation.sheets import spread
from p2p.data import list_pairs
from p2p.weights import CONFIG_NAME, WEIGHTS_NAME, load_generator, publish

MIB = 1024 * 1024


def pack(data: Path, out: Path, pairs: int | None = None, part_mib: float = 30, quality: int = 80) -> list[Path]:
    """Tar parts of at most `part_mib` MiB holding `pairs` training pairs of `data` spread over the split (all by
    default), each re-encoded as WebP; returns the parts' paths."""
    files = spread(list_pairs(data, "train"), pairs or 0)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("part-*.tar"):
        old.unlink()
    parts: list[Path] = []
    part, used = None, 0
    for path in files:
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            raise OSError(f"cannot read training image {path}")
        encoded = cv2.imencode(".webp", image, [cv2.IMWRITE_WEBP_QUALITY, quality])[1].tobytes()
        size = len(encoded) + 1024  # the tar header and padding
        if part is None or used + size > part_mib * MIB:
            if part is not None:
                part.close()
            parts.append(out / f"part-{len(parts):03d}.tar")
            part, used = tarfile.open(parts[-1], "w"), 0
        info = tarfile.TarInfo(path.stem + ".webp")
        info.size = len(encoded)
        part.addfile(info, io.BytesIO(encoded))
        used += size
    if part is not None:
        part.close()
    return parts


def split(checkpoint: Path, out: Path, piece_mib: float = 15) -> list[Path]:
    """The generator at `checkpoint` as fp16, its weights cut into pieces of at most `piece_mib` MiB in `out`
    (model.safetensors.000, .001, ...) beside its config.json."""
    with tempfile.TemporaryDirectory() as tmp:
        publish(str(checkpoint), tmp, fp16=True)
        out.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(tmp) / CONFIG_NAME, out / CONFIG_NAME)
        data = (Path(tmp) / WEIGHTS_NAME).read_bytes()
    step = int(piece_mib * MIB)
    pieces = [out / f"{WEIGHTS_NAME}.{i:03d}" for i in range((len(data) + step - 1) // step)]
    for i, piece in enumerate(pieces):
        piece.write_bytes(data[i * step : (i + 1) * step])
    return pieces


def join(pieces: Path, dest: Path) -> None:
    """The checkpoint folder `dest` from a folder of `split`'s pieces; it is loaded once to check it is whole."""
    parts = sorted(pieces.glob(f"{WEIGHTS_NAME}.[0-9][0-9][0-9]"))
    if not parts or not (pieces / CONFIG_NAME).is_file():
        raise FileNotFoundError(f"{pieces}: no {WEIGHTS_NAME}.000 ... pieces and config.json from `gpu_kit split`")
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(pieces / CONFIG_NAME, dest / CONFIG_NAME)
    with (dest / WEIGHTS_NAME).open("wb") as whole:
        for part in parts:
            whole.write(part.read_bytes())
    load_generator(dest)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    verbs = parser.add_subparsers(dest="verb", required=True)
    packing = verbs.add_parser("pack", help="training pairs -> tar parts of WebP pairs")
    packing.add_argument("data", type=Path, help="a data_prep.build output folder")
    packing.add_argument("out", type=Path, help="folder for part-000.tar, ... (an ignored one, e.g. runs/gpu-pack)")
    packing.add_argument("--pairs", type=int, help="pairs to pack, spread over the split (default: all)")
    packing.add_argument("--part-mib", type=float, default=30, help="largest part in MiB (default 30)")
    packing.add_argument("--quality", type=int, default=80, help="WebP quality (default 80)")
    splitting = verbs.add_parser("split", help="a generator -> fp16 pieces small enough to come back")
    splitting.add_argument("checkpoint", type=Path)
    splitting.add_argument("out", type=Path)
    splitting.add_argument("--piece-mib", type=float, default=15)
    joining = verbs.add_parser("join", help="pieces from `split` -> a checkpoint folder")
    joining.add_argument("pieces", type=Path)
    joining.add_argument("dest", type=Path)
    args = parser.parse_args(argv)
    if args.verb == "pack":
        parts = pack(args.data, args.out, args.pairs, args.part_mib, args.quality)
        sizes = ", ".join(f"{p.name} {p.stat().st_size / MIB:.1f} MiB" for p in parts)
        print(f"{len(parts)} parts in {args.out}: {sizes}")
    elif args.verb == "split":
        pieces = split(args.checkpoint, args.out, args.piece_mib)
        print(f"{len(pieces)} pieces and config.json in {args.out}")
    else:
        join(args.pieces, args.dest)
        print(f"joined into {args.dest}")


if __name__ == "__main__":
    main()
