"""The closing case study: fine-tuning a brand-voice model with minigrad, measured end to end.

``voice`` (the client's voice as soft habits, its writers and the simulated creative team that
labels the copy), ``templates`` (shared word lists and template filling), ``data`` (the seeded
corpora, their files and loaders), ``tokenizer`` (a small word-level tokenizer), ``rules`` (the
rule-based brand filter), ``cost`` (the training-cost arithmetic, the course's one reading of the
brief's bill, and the calculator), ``lm`` (batching, loss, log-likelihood scores, sampling, saved
weights), ``finetune`` (the fine-tuning runs, early stopping read off a run's curve, and the live
widget), ``evaluation`` (screeners, baselines, Wilson and paired intervals), ``experiment`` (the
measurements shared by the notebook, its record and the tests) and ``report`` (settings, plots,
the screening table and the findings table of ``course/09_finetuning_case_study.ipynb``).
"""
