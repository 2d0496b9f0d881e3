#!/usr/bin/env python3
"""Fill untranslated entries of .po catalogues from a ``msgid<TAB>msgstr`` file.

    python scripts/po_fill.py translations.tsv accounts/locale/es/LC_MESSAGES/django.po ...

A helper for translators: it never overwrites an existing translation and reports what is
still missing. ``make messages`` compiles the result.
"""

import sys

import polib


def main(argv: list[str]) -> int:
    table = {}
    with open(argv[0], encoding="utf-8") as handle:
        for raw in handle:
            line = raw.rstrip("\n")
            if line and not line.startswith("#") and "\t" in line:
                msgid, msgstr = line.split("\t", 1)
                table[msgid.replace("\\n", "\n")] = msgstr.replace("\\n", "\n")
    missing = 0
    for path in argv[1:]:
        catalogue = polib.pofile(path)
        for entry in catalogue:
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
                entry.msgstr = ""
            if not entry.msgstr and entry.msgid in table:
                entry.msgstr = table[entry.msgid]
            if not entry.translated():
                missing += 1
                print(f"{path}: untranslated: {entry.msgid!r}")
        catalogue.save(path)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
