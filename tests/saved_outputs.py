"""Notebooks whose saved outputs are older than the figures' alt text, each with why.

Lesson 9's saved outputs come from the processor its record (course/models/casestudy_record.json)
was made on: its misconfigured run (A) trains at a rate where float rounding decides the run, so
another processor's BLAS kernel gives other numbers (issue 24: move the case study's runs away
from chaos). Rebuilt here, it would print "this run differs from the record". Its figures get their
alt text when it is next rebuilt on that processor, or once its runs no longer depend on one;
run live, they have it already.
"""

OUTPUTS_BEFORE_ALT_TEXT = {
    "course/09_finetuning_case_study.ipynb": "its saved run is tied to the processor of its record (issue 24)",
}
