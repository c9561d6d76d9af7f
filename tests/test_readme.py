"""The README's minigrad example runs and trains (documentation that cannot rot)."""
import pathlib
import re

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"


def python_blocks():
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_readme_example_trains(capsys):
    (example,) = [block for block in python_blocks() if "optim" in block]
    assert len(example.strip().splitlines()) <= 14  # "a ten-line example", give or take imports
    namespace = {}
    exec(compile(example, "README example", "exec"), namespace)
    printed = capsys.readouterr().out
    final_loss = float(re.search(r"loss (\d+\.\d+)", printed).group(1))
    assert final_loss < 0.3, printed  # a chance-level classifier would sit at ln 2 = 0.69


def test_readme_names_the_two_commands():
    text = README.read_text()
    assert "make lab" in text and "make test" in text
