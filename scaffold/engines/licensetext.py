"""Which license a license file holds, from the phrases every copy of that license has.

Used when a package's metadata is vague (no License-Expression, a free-text License field,
or only a classifier such as "BSD License" that does not say which BSD). The phrases are
the licenses' own operative sentences, which their copies keep word for word; a file that
matches none is left unknown (and the package needs review), never guessed.
"""

from __future__ import annotations

import re

# (SPDX id, phrases that must all appear, phrases that must not), most specific first.
SIGNATURES: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("AGPL-3.0-only", ("gnu affero general public license", "version 3"), ()),
    ("LGPL-3.0-only", ("gnu lesser general public license", "version 3"), ()),
    ("LGPL-2.1-only", ("gnu lesser general public license", "version 2.1"), ()),
    ("GPL-3.0-only", ("gnu general public license", "version 3"), ("lesser", "affero")),
    ("GPL-2.0-only", ("gnu general public license", "version 2"), ("lesser", "affero")),
    ("MPL-2.0", ("mozilla public license", "2.0"), ()),
    ("Apache-2.0", ("apache license", "version 2.0"), ()),
    ("PSF-2.0", ("python software foundation license", "version 2"), ()),
    ("BSD-3-Clause", ("redistribution and use in source and binary forms",
                      "neither the name"), ()),
    ("BSD-2-Clause", ("redistribution and use in source and binary forms",),
     ("neither the name",)),
    ("MIT", ("permission is hereby granted, free of charge",), ()),
    ("ISC", ("permission to use, copy, modify, and/or distribute this software",), ()),
    ("Unlicense", ("this is free and unencumbered software released into the public domain",),
     ()),
    ("Zlib", ("this software is provided 'as-is'", "altered source versions must be plainly"),
     ()),
)
# Words of a notice that offers a choice between the licenses of several files.
CHOICE = re.compile(r"\b(either|dual[- ]licensed|at your option|you may choose|choice of)\b")
MAX_TEXT = 200_000


def identify_all(text: str) -> list[str]:
    """The SPDX ids of every license ``text`` holds (a file may hold two)."""
    lowered = re.sub(r"\s+", " ", text[:MAX_TEXT].lower())
    found = [spdx for spdx, required, excluded in SIGNATURES
             if all(phrase in lowered for phrase in required)
             and not any(phrase in lowered for phrase in excluded)]
    # The GPL family's names contain each other: keep the most specific one.
    if any(spdx.startswith(("AGPL", "LGPL")) for spdx in found):
        found = [spdx for spdx in found if not spdx.startswith("GPL")]
    return found


def identify(text: str) -> str | None:
    """The SPDX id of the license ``text`` holds when it holds exactly one, else None."""
    found = identify_all(text)
    return found[0] if len(found) == 1 else None


def expression_of(files: dict[str, str]) -> str | None:
    """An SPDX expression for a package's license files (name -> text).

    Several licenses are joined with OR when a file offers the choice ("either of the
    licenses"), and with AND otherwise: without a stated choice, all of them apply.
    """
    found = sorted({spdx for text in files.values() for spdx in identify_all(text)})
    if not found:
        return None
    if len(found) == 1:
        return found[0]
    offers_choice = any(CHOICE.search(re.sub(r"\s+", " ", text[:MAX_TEXT].lower()))
                        for text in files.values())
    return (" OR " if offers_choice else " AND ").join(found)
