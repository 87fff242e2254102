#!/usr/bin/env python3
"""Runs talon 1.4.4's signature extraction over top messages and writes the blocks it finds.

    talon_blocks.py TOPS.jsonl BLOCKS.jsonl

TOPS: {"id", "top", "sender"} lines (crm-intel's eval example writes them); BLOCKS: {"id", "block"}
lines, scored by the same Rust code that scores crm-intel. talon 1.4.4 imports `joblib` from
`sklearn.externals`, which scikit-learn removed, and ships a classifier pickled by an old
scikit-learn; this runner aliases the module to the standalone joblib and retrains talon's own
LinearSVC on talon's own shipped `train.data` with talon's own training function (in memory,
random_state 0), then uses talon's ML extractor (`talon.signature.extract`), as talon's README does.
"""
import json
import sys

import joblib
import sklearn.externals

sklearn.externals.joblib = joblib
sys.modules["sklearn.externals.joblib"] = joblib

from talon.quotations import register_xpath_extensions  # noqa: E402
from talon.signature import EXTRACTOR_DATA, extraction  # noqa: E402
from talon.signature.learning import classifier  # noqa: E402


def main():
    tops, out = sys.argv[1], sys.argv[2]
    # talon.init() without loading the stale pickle: the xpath extensions, then the retrained model
    register_xpath_extensions()
    svc = classifier.init().set_params(random_state=0)
    extraction.EXTRACTOR = classifier.train(svc, EXTRACTOR_DATA)
    n = found = 0
    with open(tops, encoding="utf-8") as f, open(out, "w", encoding="utf-8") as w:
        for line in f:
            d = json.loads(line)
            _, sig = extraction.extract(d["top"], d.get("sender") or "")
            w.write(json.dumps({"id": d["id"], "block": sig}) + "\n")
            n += 1
            found += sig is not None
    print(f"talon: {found} blocks in {n} messages", file=sys.stderr)


if __name__ == "__main__":
    main()
