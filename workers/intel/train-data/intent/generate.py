#!/usr/bin/env python3
"""Writes the intent training corpus (corpus.jsonl) from the phrase pools, deterministically.

    python3 generate.py DIR      writes DIR/corpus.jsonl and DIR/sentences.jsonl
                                 (ops/train --check regenerates both and compares)

Each email: optional greeting and context, one or two core sentences of its label (sometimes with a
sentence of a lower-precedence label: the primary label follows the precedence rule of INTENTS.md),
optional follow-up, closing and signature, sometimes quoted history of another label below a reply
header (quoted text never sets the label), and noise (accents dropped, lower case, typos). `group`
names the core sentence, so cross-validation can keep a sentence's emails in one fold and measure
generalisation to wording the model has not seen.
sentences.jsonl holds what the sentence model learns from: every core sentence of every label in
four fillings (with noise), every subject line of a label, and the neutral pieces (context,
follow-ups, greetings, closings) as `other`. The email corpus measures the email-level decision.
Standard library only; fixed seed.
"""
import json
import random
import sys
import unicodedata

import phrases2_en
import phrases2_fr
import phrases_en
import phrases_fr

# a second author's wordings of the same labels join the pools: more ways of saying each thing
for _P, _P2 in ((phrases_fr, phrases2_fr.FR), (phrases_en, phrases2_en.EN)):
    for _label, _pool in _P2.items():
        if _label in _P.CORE:
            _P.CORE[_label] = _P.CORE[_label] + list(_pool.get("core", []))
            _P.SUBJECT[_label] = _P.SUBJECT[_label] + list(_pool.get("subjects", []))

SEED = 14
PER_LABEL = 130
PRECEDENCE = ["gdpr_request", "unsubscribe", "complaint", "quote_request", "meeting_request",
              "information_request", "interested", "not_interested", "other"]
SECONDARY = {
    "gdpr_request": ["unsubscribe", "complaint"],
    "unsubscribe": ["complaint", "not_interested"],
    "complaint": ["meeting_request", "information_request"],
    "quote_request": ["information_request", "interested"],
    "meeting_request": ["interested", "information_request"],
    "information_request": ["interested"],
}
FIRST = ["Camille", "Julien", "Sophie", "Thomas", "Claire", "Nicolas", "Élodie", "Mathieu", "Hélène", "Antoine",
         "Laura", "Pierre", "James", "Emma", "Oliver", "Grace", "Daniel", "Ruth", "Hugo", "Inès", "Marc", "Anne"]
LAST = ["Martin", "Bernard", "Lefèvre", "Moreau", "Garnier", "Rousseau", "Fontaine", "Chevalier", "Smith", "Taylor",
        "Clarke", "Walsh", "Perrin", "Lemoine", "Dubois", "Marchand", "Boyer", "Hughes", "Barker", "Roux"]
FUND = ["Horizon Crédit 2028", "Atlas Actions Europe", "the Meridian Income Fund", "Orion Patrimoine",
        "Sequoia Small Caps", "le fonds Cap Santé", "Boréal Obligations", "Northgate Global Equity"]
COMPANY = ["Alderic Gestion", "Cabinet Ferrand Patrimoine", "Kestrel Partners", "Banque Morvan", "Lumen AM",
           "Hawthorn Wealth", "Ondine Finance", "Gresham Advisers"]
DOMAIN = ["alderic-gestion.fr", "ferrand-patrimoine.com", "kestrelpartners.co.uk", "morvan.fr", "lumen-am.com"]
DAYS = {"fr": ["lundi", "mardi", "mercredi", "jeudi", "vendredi"],
        "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]}
DATES = {"fr": ["12 mars", "3 novembre", "28/02", "15 janvier", "2 juin"],
         "en": ["12 March", "3 November", "28/02", "15 January", "June 2"]}
TIMES = ["9h30", "10h", "14h", "16h30", "11:00", "15:00"]
ORIG = {"fr": ["Point mensuel", "Votre demande", "Documentation"], "en": ["Monthly update", "Your request", "Documents"]}
DOCS = {"fr": ["DIC", "prospectus", "reporting mensuel", "rapport annuel", "règlement"],
        "en": ["KID", "prospectus", "factsheet", "annual report", "monthly report"]}
WHO = {"fr": ["notre gérant", "mon associé", "ma collègue"], "en": ["our PM", "my partner", "my colleague"]}
AMOUNTS = ["500 000 €", "2 M€", "1,5 million d'euros", "£750,000", "$3m", "10 M€"]


def fill(rng, s, lang, subject=""):
    vals = {
        "first": rng.choice(FIRST), "first2": rng.choice(FIRST), "last": rng.choice(LAST),
        "fund": rng.choice(FUND), "company": rng.choice(COMPANY), "domain": rng.choice(DOMAIN),
        "day": rng.choice(DAYS[lang]), "date": rng.choice(DATES[lang]), "time": rng.choice(TIMES),
        "amount": rng.choice(AMOUNTS), "subject": subject,
        "orig": rng.choice(ORIG[lang]), "doc": rng.choice(DOCS[lang]), "slot": rng.choice(TIMES), "who": rng.choice(WHO[lang]),
    }
    for k, v in vals.items():
        s = s.replace("{" + k + "}", v)
    return s


def strip_accents(s):
    return "".join(c for c in unicodedata.normalize("NFD", s) if not unicodedata.combining(c))


def typo(rng, s):
    words = s.split(" ")
    i = rng.randrange(len(words))
    w = words[i]
    if len(w) > 3:
        j = rng.randrange(len(w) - 1)
        words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:]
    return " ".join(words)


def noise(rng, text, lang):
    r = rng.random()
    if lang == "fr" and r < 0.15:
        text = strip_accents(text)
    if rng.random() < 0.08:
        text = text.lower()
    if rng.random() < 0.15:
        text = typo(rng, text)
    return text


def signature(rng, lang):
    name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    kind = rng.random()
    if kind < 0.3:
        return name
    if kind < 0.6:
        return f"{name}\n{rng.choice(COMPANY)}"
    if kind < 0.8:
        tel = "Tél. 01 45 67 89 10" if lang == "fr" else "Tel +44 20 7946 0000"
        return f"{name}\n{rng.choice(COMPANY)}\n{tel}"
    return rng.choice(FIRST)


def email(rng, P, lang, label, core_idx):
    core = P.CORE[label]
    parts = []
    auto = label in ("out_of_office", "bounce")
    greet = "" if auto and rng.random() < 0.7 else fill(rng, rng.choice(P.GREET), lang)
    body = []
    if not auto and rng.random() < 0.45:
        body.append(fill(rng, rng.choice(P.CONTEXT), lang))
    body.append(fill(rng, core[core_idx], lang))
    if rng.random() < 0.35:
        other = rng.randrange(len(core))
        if other != core_idx:
            body.append(fill(rng, core[other], lang))
    if label in SECONDARY and rng.random() < 0.3:
        sec = rng.choice(SECONDARY[label])
        line = fill(rng, rng.choice(P.CORE[sec]), lang)
        if rng.random() < 0.5:
            body.insert(0, line)
        else:
            body.append(line)
    if not auto and rng.random() < 0.4:
        body.append(fill(rng, rng.choice(P.FOLLOW), lang))
    joiner = " " if rng.random() < 0.5 else "\n"
    text = joiner.join(b for b in body if b)
    text = noise(rng, text, lang)
    if greet:
        parts.append(greet)
    parts.append(text)
    if not (label == "bounce"):
        close = fill(rng, rng.choice(P.CLOSE), lang)
        sig = signature(rng, lang) if rng.random() < 0.8 else ""
        tail = "\n".join(x for x in (close, sig) if x)
        if tail:
            parts.append(tail)
    subj_label = fill(rng, rng.choice(P.SUBJECT[label]), lang)
    reply = rng.random() < 0.35
    if reply:
        quoted_label = rng.choice([lab for lab in P.CORE if lab not in ("bounce", label)])
        quoted = fill(rng, rng.choice(P.CORE[quoted_label]), lang)
        header = fill(rng, rng.choice(P.REPLY_HEADER), lang, subject=subj_label)
        if rng.random() < 0.5:
            quoted = "\n".join("> " + q for q in quoted.split("\n"))
        parts.append(f"{header}\n{quoted}")
        subject = ("RE: " if lang == "en" or rng.random() < 0.5 else "Re : ") + subj_label
    else:
        subject = subj_label
    sep = "\n\n" if rng.random() < 0.8 else "\n"
    return subject, sep.join(parts)


VARIANTS = 4


def sentences(out):
    rng = random.Random(SEED + 1)
    for lang, P in (("fr", phrases_fr), ("en", phrases_en)):
        def put(label, group, text):
            text = noise(rng, fill(rng, text, lang), lang).strip()
            if text:
                rec = {"lang": lang, "label": label, "group": group, "text": text}
                out.write(json.dumps(rec, ensure_ascii=False) + "\n")
        for label, core in P.CORE.items():
            for i, c in enumerate(core):
                for _ in range(VARIANTS):
                    put(label, f"{lang}-{label}-{i}", c)
            for i, subj in enumerate(P.SUBJECT[label]):
                put(label, f"{lang}-{label}-subject-{i}", subj)
        for kind in ("CONTEXT", "FOLLOW", "GREET", "CLOSE"):
            for i, c in enumerate(getattr(P, kind)):
                for _ in range(2):
                    put("other", f"{lang}-neutral-{kind.lower()}-{i}", c)


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else "."
    with open(f"{outdir}/sentences.jsonl", "w", encoding="utf-8") as out:
        sentences(out)
    rng = random.Random(SEED)
    with open(f"{outdir}/corpus.jsonl", "w", encoding="utf-8") as out:
        emails(rng, out)


def emails(rng, out):
    for lang, P in (("fr", phrases_fr), ("en", phrases_en)):
        for label in PRECEDENCE + ["out_of_office", "bounce"]:
            core = P.CORE[label]
            for n in range(PER_LABEL):
                idx = n % len(core)
                subject, text = email(rng, P, lang, label, idx)
                rec = {"id": f"{lang}-{label}-{n:03d}", "lang": lang, "label": label,
                       "group": f"{lang}-{label}-{idx}", "subject": subject, "text": text}
                out.write(json.dumps(rec, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
