"""A sentence-level validation set for `../shared/datasets/sst2`, made from its training split.

The split's training rows are the phrases of SST's training sentences, the sentences among
them; its test rows are sentences. Early stopping on held-out phrases chooses epochs that
suit phrases. This holds out a tenth of the training *sentences* instead (the phrases that
are not part of a longer phrase: 6,884 of them, 19.4 words on average), chosen with a fixed
seed; their own phrases stay in training. It writes `train.jsonl` (66,661 rows) and
`val.jsonl` (688) into `crates/sweep-neural/benches/sst2-sentence-val/` (ignored by git),
for `specs/sst2-sentence-val*.yaml`:

    python3 crates/sweep-neural/benches/sst2_sentence_val.py
"""

import json
import pathlib
import random
import sys

HERE = pathlib.Path(__file__).resolve().parent
SOURCE = HERE.parents[3] / "shared" / "datasets" / "sst2" / "train.jsonl"


def main() -> None:
    if not SOURCE.is_file():
        sys.exit(f"{SOURCE}: not found (../shared/datasets beside the repository)")
    rows = [json.loads(line) for line in SOURCE.read_text(encoding="utf-8").splitlines()]
    # Longest first: a phrase is a sentence when no longer phrase contains it.
    order = sorted(range(len(rows)), key=lambda i: -len(rows[i]["text"]))
    sentences, joined, recent = [], "", []
    for i in order:
        text = rows[i]["text"]
        if text in joined or any(text in r for r in recent):
            continue
        sentences.append(i)
        recent.append(text)
        if len(recent) >= 200:
            joined += "\n" + "\n".join(recent)
            recent = []
    held = set(random.Random(0).sample(sentences, len(sentences) // 10))
    out = HERE / "sst2-sentence-val"
    out.mkdir(exist_ok=True)
    with open(out / "train.jsonl", "w", encoding="utf-8") as train:
        train.writelines(json.dumps(r) + "\n" for i, r in enumerate(rows) if i not in held)
    with open(out / "val.jsonl", "w", encoding="utf-8") as val:
        val.writelines(json.dumps(rows[i]) + "\n" for i in sorted(held))
    print(f"{out}: {len(rows) - len(held)} training rows, {len(held)} validation sentences")


if __name__ == "__main__":
    main()
