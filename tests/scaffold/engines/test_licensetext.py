"""License files identified by their operative sentences; a choice is OR, else AND."""

from __future__ import annotations

import pytest

from scaffold.engines.licensetext import expression_of, identify

MIT = ("Copyright (c) 2024 Someone\n\nPermission is hereby granted, free of charge, to any "
       "person obtaining a copy\nof this software ...")
BSD_HEAD = ("Redistribution and use in source and binary forms, with or without\n"
            "modification, are permitted provided that the following conditions are met:\n")
BSD3 = BSD_HEAD + "3. Neither the name of the copyright holder nor the names of its ..."
BSD2 = BSD_HEAD + "2. Redistributions in binary form must reproduce ..."
APACHE = "                Apache License\n          Version 2.0, January 2004\n"
GPL3 = "GNU GENERAL PUBLIC LICENSE\n Version 3, 29 June 2007"
LGPL3 = ("GNU LESSER GENERAL PUBLIC LICENSE\n Version 3, 29 June 2007\n"
         " ... GNU General Public License")
NOTICE = ("This software is made available under the terms of *either* of the licenses "
          "found in LICENSE.APACHE or LICENSE.BSD.")


@pytest.mark.parametrize("text, spdx", [
    (MIT, "MIT"), (BSD3, "BSD-3-Clause"), (BSD2, "BSD-2-Clause"), (APACHE, "Apache-2.0"),
    (GPL3, "GPL-3.0-only"), (LGPL3, "LGPL-3.0-only"), ("All rights reserved.", None),
])
def test_identify(text: str, spdx: str | None) -> None:
    assert identify(text) == spdx


def test_a_choice_between_license_files_is_or() -> None:
    files = {"LICENSE": NOTICE, "LICENSE.APACHE": APACHE, "LICENSE.BSD": BSD2}
    assert expression_of(files) == "Apache-2.0 OR BSD-2-Clause"


def test_several_licenses_without_a_choice_all_apply() -> None:
    assert expression_of({"LICENSE": APACHE + "\n\n" + BSD3}) == "Apache-2.0 AND BSD-3-Clause"
    assert expression_of({"COPYING": "see the web site"}) is None
