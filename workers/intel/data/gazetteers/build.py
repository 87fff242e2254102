#!/usr/bin/env python3
"""Writes the word lists the signature model reads, from what the Faker package ships (MIT).

    python3 -m venv /tmp/gz && /tmp/gz/bin/pip install -r requirements.txt
    /tmp/gz/bin/python build.py        # rewrites the *.txt files here

Only what the pinned package ships goes in: first names and surnames (fr_FR, en_US, en_GB),
French street types. One entry per line, sorted, deduplicated.
"""
import importlib
import pathlib

HERE = pathlib.Path(__file__).parent


def provider(kind, locale):
    return importlib.import_module(f"faker.providers.{kind}.{locale}").Provider


def write(name, words):
    clean = sorted({w.strip() for w in words if w and w.strip()})
    (HERE / name).write_text("\n".join(clean) + "\n", encoding="utf-8")
    print(f"{name}: {len(clean)}")


def main():
    first, last = [], []
    for loc in ("fr_FR", "en_US", "en_GB"):
        p = provider("person", loc)
        first += list(getattr(p, "first_names", ()))
        first += list(getattr(p, "first_names_male", ())) + list(getattr(p, "first_names_female", ()))
        last += list(getattr(p, "last_names", ()))
    write("first_names.txt", first)
    write("last_names.txt", last)
    a = provider("address", "fr_FR")
    write("street_types_fr.txt", getattr(a, "street_prefixes", ()))


if __name__ == "__main__":
    main()
