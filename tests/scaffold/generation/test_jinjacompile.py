"""Jinja strings compiled once while copier renders: the same output as without, for
copier's own tags and for environments that differ."""

from __future__ import annotations

from pathlib import Path

import copier
from jinja2 import Environment, pass_context
from jinja2.sandbox import SandboxedEnvironment

from scaffold.generation.jinjacompile import compiled_once


def tree(folder: Path) -> dict[str, str]:
    return {path.relative_to(folder).as_posix(): path.read_text()
            for path in sorted(folder.rglob("*")) if path.is_file()
            and ".copier-answers" not in path.name}


def make_template(root: Path) -> Path:
    root.mkdir()
    (root / "copier.yml").write_text(
        "names:\n  type: yaml\n  default: [alpha, beta]\n"
        "title:\n  type: str\n  default: '{{ names | join(\", \") }}'\n"
        "_answers_file: .copier-answers.yml\n")
    # a yield tag in one path (one file per name), plain paths before and after it
    (root / "a-{{ names | length }}.txt.jinja").write_text("{{ title }}\n")
    (root / "{% yield name from names %}{{ name }}{% endyield %}.txt.jinja").write_text(
        "{{ name }} of {{ title }}\n")
    (root / "z-{{ names | first }}.txt.jinja").write_text("{{ names | last }}\n")
    return root


def test_copier_renders_the_same_with_and_without(tmp_path: Path) -> None:
    template = make_template(tmp_path / "template")
    outputs = []
    for name, memo in (("plain", False), ("memo", True)):
        target = tmp_path / name
        if memo:
            with compiled_once():
                copier.run_copy(str(template), target, defaults=True, quiet=True)
        else:
            copier.run_copy(str(template), target, defaults=True, quiet=True)
        outputs.append(tree(target))
    assert outputs[0] == outputs[1] == {
        "a-2.txt": "alpha, beta\n", "alpha.txt": "alpha of alpha, beta\n",
        "beta.txt": "beta of alpha, beta\n", "z-alpha.txt": "beta\n"}


def test_a_string_means_what_its_own_environment_says() -> None:
    source = "<< x >>{{ x | shout }}"
    angled = Environment(variable_start_string="<<", variable_end_string=">>")
    plain = SandboxedEnvironment()

    @pass_context
    def shout_with_context(context: object, value: str) -> str:
        return value.upper() + "!"

    angled.filters["shout"] = plain.filters["shout"] = lambda value: value.upper()
    with compiled_once():
        assert angled.from_string(source).render(x="a") == "a{{ x | shout }}"
        assert plain.from_string(source).render(x="a") == "<< x >>A"
        plain.filters["shout"] = shout_with_context  # now passed the context first
        plain.filters["other"] = str  # (a filter more: the environment is read again)
        assert plain.from_string(source).render(x="a") == "<< x >>A!"
    # and outside the block Jinja compiles as it always does
    assert Environment.compile.__qualname__ == "Environment.compile"
