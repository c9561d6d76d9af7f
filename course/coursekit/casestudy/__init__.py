"""The closing case study: fine-tuning a brand-voice model with minigrad, measured end to end.

``data`` (seeded synthetic corpora and loaders), ``tokenizer`` (a small word-level tokenizer),
``rules`` (the rule-based brand filter), ``cost`` (the training-cost arithmetic and widget),
``lm`` (batching, loss, log-likelihood scores, sampling, saved weights), ``finetune`` (the
fine-tuning runs and the live widget), ``evaluation`` (the pre-screener and its accuracy) and
``report`` (settings, plots and the findings table of ``course/09_finetuning_case_study.ipynb``).
"""
