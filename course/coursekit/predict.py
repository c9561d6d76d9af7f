"""'Predict, then check': a multiple-choice question for participants who do not code.

A lesson asks for a prediction *before* its slider or plot shows the result::

    from coursekit.predict import ask
    from coursekit.learning_rate import steps_to_converge

    rates = (0.05, 0.25, 0.45, 0.55)
    _, steps = steps_to_converge("valley", rates)        # the lesson's own function decides
    fastest = f"{rates[np.nanargmin(steps)]:g}"
    ask("Which rate reaches the minimum in the fewest steps?",
        {"0.05": "Small steps are safe, but the steps add up.",   # one hint per choice: shown
         "0.25": "...", "0.45": "...", "0.55": "..."},           # when it is picked and wrong
        answer=fastest, explain=f"{np.nanmin(steps):.0f} steps, just below the cliff at 2/L.")

The right answer is computed when the cell runs, so it can never contradict the lesson; the
hint of the right choice is simply never shown. ``ask`` returns a :class:`Question`:

* in JupyterLab it shows the choices (radio buttons) and a "Check" button that answers
  ``✓ Predict: <choice>: right. <explain>`` or ``✗ Predict: <choice>: not this one. <hint>``
  (the ✓/✗ lines of the exercise checkers); a wrong pick can be changed and checked again;
* in a static viewer, a test or nbval it is plain text: the question and the lettered
  choices, never the answer, and the same text whichever choice is right;
* ``question.check(choice)`` (a choice's text or its letter) returns the same verdict line,
  for code users and tests.

The lessons' questions live in :mod:`coursekit.questions`. Question cells need no
``# NBVAL_IGNORE_OUTPUT``: nbval compares the deterministic text and
skips the widget view.
"""
from __future__ import annotations

import html
import string

from .display import in_kernel

__all__ = ["Question", "ask"]

PICK_FIRST = "Pick one of the choices first, then press Check."


class Question:
    """A prompt, its choices (each with the hint shown when it is picked and wrong) and the answer."""

    def __init__(self, prompt: str, choices: dict, answer, explain: str = "", title: str = "Predict"):
        self.prompt, self.title, self.explain = prompt, title, explain
        self.choices = {str(choice): str(hint) for choice, hint in choices.items()}
        self.answer = str(answer)
        if len(self.choices) < 2:
            raise ValueError("a question needs at least two choices")
        if self.answer not in self.choices:
            raise ValueError(f"the computed answer {self.answer!r} is not one of the choices "
                             f"{list(self.choices)}: the question no longer fits the lesson's numbers")
        missing = [c for c, hint in self.choices.items() if c != self.answer and not hint.strip()]
        if missing:
            raise ValueError(f"every wrong choice needs a hint; none for {missing}")
        self.letters = dict(zip(string.ascii_lowercase, self.choices))

    # ------------------------------------------------------------------ the function form
    def resolve(self, choice):
        """The choice's text from its text or its letter; None when it is neither."""
        choice = str(choice).strip()
        if choice in self.choices:
            return choice
        return self.letters.get(choice.lower().rstrip(")"))

    def check(self, choice) -> str:
        """The verdict on ``choice`` (its text or letter): one ✓ or ✗ line, with the hint if wrong."""
        if choice is None:
            return PICK_FIRST
        picked = self.resolve(choice)
        if picked is None:
            return (f"\u2717 {self.title}: {choice!r} is not one of the choices; pick one of "
                    + ", ".join(f"{letter}) {text}" for letter, text in self.letters.items()) + ".")
        if picked == self.answer:
            return f"\u2713 {self.title}: {picked}: right. {self.explain}".rstrip()
        return f"\u2717 {self.title}: {picked}: not this one. {self.choices[picked]}"

    # ------------------------------------------------------------------ the displays
    def text(self) -> str:
        """The static form: the question and lettered choices, never the answer."""
        lines = [f"{self.title}: {self.prompt}"]
        lines += [f"  {letter}) {text}" for letter, text in self.letters.items()]
        lines.append("(Run this cell in JupyterLab to pick and check, or call .check('a').)")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.text()

    def widget(self):
        """The live form: prompt, radio buttons, a Check button and the verdict below them.

        The parts are attributes of the returned box (``radio``, ``button``, ``verdict``) so
        that tests and instructors can pick and press from code (``box.button.click()``).
        """
        import ipywidgets as w

        prompt = w.HTML(f"<b>{html.escape(self.title)}:</b> {html.escape(self.prompt)}")
        radio = w.RadioButtons(options=list(self.choices), value=None, layout={"width": "auto"})
        button = w.Button(description="Check", button_style="primary")
        verdict = w.HTML("")

        def on_check(_button=None):
            verdict.value = f"<p>{html.escape(self.check(radio.value))}</p>"

        def on_pick(_change):
            verdict.value = ""  # a new pick: the old verdict no longer applies

        button.on_click(on_check)
        radio.observe(on_pick, names="value")
        box = w.VBox([prompt, radio, button, verdict])
        box.radio, box.button, box.verdict = radio, button, verdict
        return box

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = {"text/plain": self.text()}
        if in_kernel():
            view = self.widget()._repr_mimebundle_().get("application/vnd.jupyter.widget-view+json")
            if view is not None:
                bundle["application/vnd.jupyter.widget-view+json"] = view
        return bundle


def ask(prompt: str, choices: dict, answer, explain: str = "", title: str = "Predict") -> Question:
    """A "predict, then check" question; see the module docstring. ``answer`` must be computed."""
    return Question(prompt, choices, answer, explain=explain, title=title)
