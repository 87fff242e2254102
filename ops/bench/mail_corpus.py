#!/usr/bin/env python3
"""Writes the mailbox of the mail ingest benchmark (`ops/bench/mail-ingest`) as an mbox file.

The messages are the demo's French business emails (`ops/demo/generate_mailbox.py`, threads with
In-Reply-To/References and "RE :" subjects), enough threads generated to reach --count messages. So that
MB/s means something, a share of them become multipart: some with an HTML alternative, some with a PDF-like
attachment (random bytes, base64) whose size is log-uniform between 30 KB and 800 KB. Deterministic.

    python3 ops/bench/mail_corpus.py --out FILE [--count 5000] [--seed 2026]
"""

import argparse
import html
import math
import mailbox
import random
import subprocess
import sys
import tempfile
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

DEMO = Path(__file__).resolve().parents[1] / "demo" / "generate_mailbox.py"
ATTACHMENT_SHARE = 0.12
HTML_SHARE = 0.25


def enrich(raw, rng, n):
    """Returns the message, possibly rebuilt as multipart (HTML alternative, attachment)."""
    src = message_from_bytes(raw, policy=policy.SMTP)
    with_html = rng.random() < HTML_SHARE
    with_file = rng.random() < ATTACHMENT_SHARE
    if not (with_html or with_file):
        return src
    msg = EmailMessage(policy=policy.SMTP)
    for k, v in src.items():
        if k.lower() not in ("mime-version", "content-type", "content-transfer-encoding"):
            msg[k] = v
    text = src.get_content()
    msg.set_content(text)
    if with_html:
        paras = "".join(f"<p>{html.escape(p)}</p>" for p in text.split("\n\n"))
        msg.add_alternative(f"<html><body>{paras}</body></html>", subtype="html")
    if with_file:
        size = int(math.exp(rng.uniform(math.log(30_000), math.log(800_000))))
        msg.add_attachment(rng.randbytes(size), maintype="application", subtype="pdf",
                           filename=f"document-{n:05d}.pdf")
    return msg


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--count", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        demo = Path(tmp) / "demo.mbox"
        # About 2.2 messages per demo thread; ask for enough threads, then keep the first --count messages.
        threads = args.count // 2 + 50
        subprocess.run([sys.executable, str(DEMO), "--seed", str(args.seed), "--threads", str(threads),
                        "--out", str(demo)], check=True, stdout=subprocess.DEVNULL)
        src = mailbox.mbox(demo, create=False)
        out_path = Path(args.out)
        out_path.unlink(missing_ok=True)
        out = mailbox.mbox(out_path)
        out.lock()
        n = 0
        for key in src.iterkeys():
            if n == args.count:
                break
            raw = src.get_bytes(key)
            out.add(mailbox.mboxMessage(enrich(raw, rng, n)))
            n += 1
        out.flush()
        out.unlock()
    if n < args.count:
        sys.exit(f"only {n} messages generated, wanted {args.count}")
    print(f"{n} messages, {out_path.stat().st_size / 1e6:.1f} MB written to {out_path}")


if __name__ == "__main__":
    main()
