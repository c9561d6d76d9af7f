"""Write tests/fixtures/torch_core.npz: forward values and gradients from PyTorch.

Run by hand, with torch==2.13.0 in a virtualenv of its own (never in .venv: the
tests and benchmarks behave differently when torch is importable there)::

    python3 -m venv /tmp/torchenv && /tmp/torchenv/bin/pip install torch==2.13.0 numpy
    PYTHONPATH=. /tmp/torchenv/bin/python tools/make_torch_fixtures_core.py

The tests compare minigrad against this file without importing torch. Contents:

* ``CASES`` and ``NEW_CASES``: ops and losses on random float64 inputs, their outputs
  and the gradients of each input for a random output gradient (``direction``).
* ``PROBES``: expressions written once for both libraries (``T`` is ``torch`` or
  ``minigrad``, ``F`` its functional module, ``nn`` its layers, ``grads(fn, *lists)``
  the output and input gradients of ``fn`` at float64 inputs): the output arrays
  (values, dtypes, shapes) or the class of the exception torch raised. The
  expressions themselves are stored, so the test evaluates exactly these.
* ``promotion``: the dtype torch gives every binary op for every pair of operand
  kinds (bool, int32, int64, float32, float64; dimensioned, 0-d or a Python number),
  and every float op for every input kind: the table the hypothesis test draws from.
"""
import json
import pathlib

import numpy as np
import torch

OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "torch_core.npz"

# name -> (input shapes, torch function). Inputs are drawn from one seeded generator.
CASES = {
    "add_broadcast": ([(3, 4), (4,)], lambda a, b: a + b),
    "sub_broadcast": ([(2, 1, 4), (3, 1)], lambda a, b: a - b),
    "mul_broadcast": ([(3, 4), (3, 1)], lambda a, b: a * b),
    "div": ([(3, 4), (3, 4)], lambda a, b: a / (b.abs() + 1.0)),
    "pow_scalar": ([(5,)], lambda a: a.abs() ** 1.5),
    "pow_tensor": ([(4,), (4,)], lambda a, b: (a.abs() + 0.5) ** b),
    "rsub_rdiv": ([(4,)], lambda a: 2.0 - 3.0 / (a.abs() + 1.0)),
    "matmul_2d": ([(3, 4), (4, 5)], lambda a, b: a @ b),
    "matmul_batched_broadcast": ([(2, 1, 3, 4), (5, 4, 2)], lambda a, b: a @ b),
    "matmul_vec_mat": ([(4,), (4, 3)], lambda a, b: a @ b),
    "matmul_mat_vec": ([(2, 3, 4), (4,)], lambda a, b: a @ b),
    "matmul_vec_vec": ([(4,), (4,)], lambda a, b: a @ b),
    "exp_log_sqrt": ([(6,)], lambda a: (a.exp() + 1).log() + (a.abs() + 0.1).sqrt()),
    "tanh_sigmoid": ([(3, 3)], lambda a: a.tanh() * a.sigmoid()),
    "relu_abs": ([(10,)], lambda a: a.relu() + a.abs()),
    "clamp": ([(10,)], lambda a: a.clamp(-0.5, 0.7)),
    "maximum": ([(3, 4), (4,)], lambda a, b: torch.maximum(a, b)),
    "sum_dims": ([(2, 3, 4)], lambda a: a.sum(dim=(0, 2), keepdim=True) * a.sum(dim=1).mean()),
    "mean_var": ([(4, 5)], lambda a: a.mean(dim=1) + a.var(dim=1)),
    "var_all": ([(4, 5)], lambda a: a.var()),
    "max_dim": ([(4, 5)], lambda a: a.max(dim=1).values),
    "reshape_transpose_permute": ([(2, 3, 4)], lambda a: a.reshape(6, 4).T.reshape(4, 3, 2).permute(2, 0, 1).transpose(0, 2)),
    "getitem_slices": ([(5, 4)], lambda a: a[1:4, ::2]),
    "getitem_repeated": ([(5, 3)], lambda a: a[torch.tensor([0, 2, 2, 4, 0])]),
    "cat_stack": ([(2, 3), (4, 3)], lambda a, b: torch.cat([a, b], dim=0).sum(0) * torch.stack([a[0], b[1]], dim=1).sum(1)),
    "where": ([(3, 4), (3, 4)], lambda a, b: torch.where(a > 0, a, b * 2)),
    "softmax": ([(3, 5)], lambda a: (a * 100).softmax(dim=-1)),
    "log_softmax": ([(3, 5)], lambda a: (a * 100).log_softmax(dim=0)),
    "gelu": ([(10,)], lambda a: torch.nn.functional.gelu(a * 3, approximate="tanh")),  # GPT-2's form
    "layer_norm": ([(3, 6), (6,), (6,)], lambda a, w, b: torch.nn.functional.layer_norm(a, (6,), w, b)),
    "mse_loss": ([(4, 3), (4, 3)], lambda a, b: torch.nn.functional.mse_loss(a, b)),
}


F = torch.nn.functional
T = torch.tensor
# The same integer targets as tests/test_torch_reference.py.
TARGET6 = [0, 3, -100, 1, 2, 2]
TARGET_ND = [[0, 2, 1, 1], [2, 2, 0, 1]]  # (2, 4) for logits (2, 3, 4)
TARGET_ND2 = [[[0, 1], [2, 0], [1, 1], [0, 2]], [[2, 2], [1, 0], [0, 0], [1, 2]]]  # (2, 4, 2) for (2, 3, 4, 2)
GATHER_INDEX = [[0, 0, 3], [2, 1, 1], [3, 3, 0]]

# Drawn from a generator of their own, after CASES: the recordings above stay as they were.
NEW_CASES = {
    "gelu_erf": ([(10,)], lambda a: F.gelu(a * 3)),  # torch's default: the exact (erf) form
    "leaky_relu": ([(10,)], lambda a: F.leaky_relu(a, 0.2)),
    "silu": ([(10,)], lambda a: F.silu(a * 3)),
    "elu": ([(10,)], lambda a: F.elu(a * 2, alpha=1.5)),
    "softplus": ([(10,)], lambda a: F.softplus(a * 4, beta=2.0, threshold=5.0)),
    "hardtanh": ([(10,)], lambda a: F.hardtanh(a, -0.5, 0.7)),
    "relu6": ([(10,)], lambda a: F.relu6(a * 5)),
    "logsigmoid": ([(10,)], lambda a: F.logsigmoid(a * 20)),
    "sin_cos": ([(3, 4)], lambda a: a.sin() * a.cos() + (a * 3).cos()),
    "erf": ([(10,)], lambda a: (a * 2).erf()),
    "prod_dim": ([(3, 4)], lambda a: a.prod(dim=1)),
    "prod_all": ([(2, 3)], lambda a: a.prod()),
    "std_dim": ([(3, 5)], lambda a: a.std(dim=1)),
    "std_biased_all": ([(3, 5)], lambda a: a.std(unbiased=False)),
    "std_correction_keepdim": ([(3, 5)], lambda a: a.std(dim=0, correction=0, keepdim=True)),
    "var_positional_unbiased": ([(3, 5)], lambda a: a.var(1, False)),
    "logsumexp": ([(3, 5)], lambda a: (a * 50).logsumexp(dim=1)),
    "logsumexp_dims_keepdim": ([(2, 3, 4)], lambda a: a.logsumexp(dim=(0, 2), keepdim=True)),
    "min_dim": ([(4, 5)], lambda a: a.min(dim=1).values),
    "min_max_all": ([(4, 5)], lambda a: a.min() * a.max()),
    "minimum": ([(3, 4), (4,)], lambda a, b: torch.minimum(a, b)),
    "clone": ([(3, 4)], lambda a: a.clone() * 2),
    "gather": ([(3, 4)], lambda a: a.gather(1, T(GATHER_INDEX))),
    "gather_dim0": ([(4, 3)], lambda a: a.gather(0, T(GATHER_INDEX).T)),
    "masked_fill": ([(3, 4), ()], lambda a, v: a.masked_fill(a > 0.3, v) * 2),
    "where_scalar": ([(3, 4)], lambda a: torch.where(a > 0, a, 0.5)),
    "bce": ([(4, 3), (4, 3)], lambda a, b: F.binary_cross_entropy(a.sigmoid(), b.sigmoid())),
    "bce_weight_sum": ([(4, 3), (4, 3), (3,)],
                       lambda a, b, w: F.binary_cross_entropy(a.sigmoid(), b.sigmoid(), weight=w.detach().abs(),
                                                              reduction="sum")),
    "bce_logits": ([(4, 3), (4, 3)], lambda a, b: F.binary_cross_entropy_with_logits(a * 5, b.sigmoid())),
    "bce_logits_weights_none": ([(4, 3), (4, 3), (3,), (3,)],
                                lambda a, b, w, p: F.binary_cross_entropy_with_logits(
                                    a * 5, b.sigmoid(), weight=w.detach().abs(), pos_weight=p.detach().abs() * 3,
                                    reduction="none")),
    "nll": ([(6, 4)], lambda a: F.nll_loss(a.log_softmax(dim=1), T(TARGET6))),
    "nll_weight_sum": ([(6, 4), (4,)],
                       lambda a, w: F.nll_loss(a.log_softmax(dim=1), T(TARGET6), weight=w.detach().abs(),
                                               reduction="sum")),
    "nll_nd_weight": ([(2, 3, 4), (3,)],
                      lambda a, w: F.nll_loss(a.log_softmax(dim=1), T(TARGET_ND), weight=w.detach().abs())),
    "ce_weight": ([(6, 4), (4,)], lambda a, w: F.cross_entropy(a * 3, T(TARGET6), weight=w.detach().abs())),
    "ce_label_smoothing": ([(6, 4)], lambda a: F.cross_entropy(a * 3, T(TARGET6), label_smoothing=0.1)),
    "ce_label_smoothing_weight": ([(6, 4), (4,)],
                                  lambda a, w: F.cross_entropy(a * 3, T(TARGET6), weight=w.detach().abs(),
                                                               label_smoothing=0.2)),
    "ce_label_smoothing_none": ([(6, 4)],
                                lambda a: F.cross_entropy(a, T(TARGET6), label_smoothing=0.3, reduction="none")),
    "ce_prob_targets": ([(5, 4), (5, 4)], lambda a, b: F.cross_entropy(a * 3, b.softmax(dim=1))),
    "ce_prob_targets_smoothing_weight": ([(5, 4), (5, 4), (4,)],
                                         lambda a, b, w: F.cross_entropy(a, b.softmax(dim=1), weight=w.detach().abs(),
                                                                         label_smoothing=0.3, reduction="sum")),
    "ce_prob_targets_nd_none": ([(2, 3, 4), (2, 3, 4)],
                                lambda a, b: F.cross_entropy(a, b.softmax(dim=1), reduction="none")),
    "ce_nd": ([(2, 3, 4, 2)], lambda a: F.cross_entropy(a * 3, T(TARGET_ND2))),
    "ce_nd_none_smoothing": ([(2, 3, 4)], lambda a: F.cross_entropy(a, T(TARGET_ND), reduction="none",
                                                                    label_smoothing=0.1)),
    "ce_1d": ([(5,)], lambda a: F.cross_entropy(a * 3, T(2))),
    "ce_sum": ([(6, 4)], lambda a: F.cross_entropy(a, T(TARGET6), reduction="sum")),
    "ce_all_ignored": ([(3, 4)], lambda a: F.cross_entropy(a, T([-100, -100, -100]))),
}

# Expressions evaluated as written in both libraries (see the module docstring).
PROBES = {
    # comparisons give bool tensors; the accuracy line
    "eq_tensors": "T.tensor([1., 2., 3.]) == T.tensor([1., 0., 3.])",
    "ne_tensors": "T.tensor([1., 2., 3.]) != T.tensor([1., 0., 3.])",
    "lt_int_float_scalar": "T.tensor([1, 2, 3]) < 2.5",
    "le_broadcast": "T.tensor([[1.], [2.]]) <= T.tensor([1., 2., 3.])",
    "gt_int_float": "T.tensor([1, 2]) > T.tensor([0.5, 2.5])",
    "ge_0d": "T.tensor(2.) >= T.tensor([1., 2., 3.])",
    "eq_int_float": "T.tensor([1, 2]) == T.tensor([1., 2.5])",
    "eq_bool_int": "T.tensor([True, False]) == 1",
    "eq_none": "T.tensor([1.]) == None",
    "ne_none": "T.tensor([1.]) != None",
    "accuracy": "(T.tensor([1, 2, 0, 1]) == T.tensor([1, 0, 0, 1])).float().mean()",
    "accuracy_sum": "(T.tensor([1, 2, 0, 1]) == T.tensor([1, 0, 0, 1])).sum()",
    "argmax_accuracy": "(T.tensor([[0.1, 2.], [3., 1.], [0., 0.5]]).argmax(dim=1) == T.tensor([1, 0, 0])).float().mean()",
    "casts": "(T.tensor([1.7, -2.2, 0.]).long(), T.tensor([1.7, -2.2, 0.]).int(), T.tensor([1.7, -2.2, 0.]).bool(), "
             "T.tensor([True, False]).float(), T.tensor([3, 0]).bool(), T.tensor([2.5]).double())",
    "cast_keeps_graph": "grads(lambda x: (x.float() * 3).double(), [1., 2.])",
    "to_dtype": "(T.tensor([1, 2]).to(T.float64), T.tensor([1.5]).to(dtype=T.int64), T.tensor([0., 1.]).to('cpu', T.bool))",
    "logic": "(T.tensor([True, False, True]) & T.tensor([True, True, False])) | ~T.tensor([True, False, False])",
    "xor": "T.tensor([True, False]) ^ T.tensor([True, True])",
    "bool_of_one": "bool(T.tensor([2.]))",
    "float_of_one": "float(T.tensor([2.5]))",
    "int_of_one": "int(T.tensor([2.5]))",
    "isnan_isinf_isfinite": "(T.tensor([1., float('nan'), float('inf'), -float('inf')]).isnan(), "
                            "T.tensor([1., float('nan'), float('inf'), -float('inf')]).isinf(), "
                            "T.tensor([1., float('nan'), float('inf'), -float('inf')]).isfinite())",
    "any_all": "(T.tensor([[True, False], [False, False]]).any(), T.tensor([[True, False], [True, True]]).all(dim=1), "
               "T.tensor([[1., 0.], [0., 0.]]).any(dim=0, keepdim=True), T.tensor([[True, True]]).all())",
    # dtype promotion
    "int_plus_float": "T.tensor(1) + 0.5",
    "int_div_int": "T.tensor([3, 4]) / T.tensor([2, 8])",
    "int_div_scalar": "T.tensor([3]) / 2",
    "scalar_div_int": "1 / T.tensor([4])",
    "int_exp": "T.tensor(2).exp()",
    "int_float_ops": "(T.tensor([1, 4]).sqrt(), T.tensor([1, 4]).log(), T.tensor([0, 1]).sin(), T.tensor([0, 1]).cos(), "
                     "T.tensor([0, 1]).tanh(), T.tensor([0, 1]).sigmoid(), T.tensor([0, 1]).erf())",
    "maximum_int_float": "T.maximum(T.tensor([1, 5]), T.tensor([2.5, 2.5]))",
    "minimum_int_0d_float": "T.minimum(T.tensor([1, 5]), T.tensor(2.5))",
    "bool_plus_int": "T.tensor([True, False]) + 2",
    "bool_times_bool": "T.tensor([True, False]) * T.tensor([True, True])",
    "int32_plus_0d_int64": "T.ones(2, dtype=T.int32) + T.tensor(1)",
    "float32_plus_0d_float64": "T.ones(2) + T.tensor(1., dtype=T.float64)",
    "int64_plus_0d_float64": "T.ones(2, dtype=T.int64) + T.tensor(1., dtype=T.float64)",
    "0d_int_plus_0d_float64": "T.tensor(1) + T.tensor(1., dtype=T.float64)",
    "int_times_float_tensor": "T.arange(4) * T.ones(4)",
    "float64_times_float32": "T.ones(2, dtype=T.float64) * T.ones(2)",
    "int_pow_float": "T.tensor([4, 9]) ** 0.5",
    "int_pow_int": "T.tensor([2, 3]) ** 2",
    "int_rpow": "2 ** T.tensor([3])",
    "float_rpow_int": "2. ** T.tensor([3])",
    "int_pow_negative_tensor": "T.tensor([2, 1, -1, -1, 0]) ** T.tensor([-2, -2, -3, -2, 1])",
    "clamp_int_float": "T.tensor([1, 2, 3]).clamp(0.5, 2.5)",
    "clamp_int_int": "T.tensor([1, 2, 3]).clamp(0, 2)",
    "sum_bool": "T.tensor([True, True, False]).sum()",
    "sum_int32": "T.tensor([1, 2], dtype=T.int32).sum()",
    "prod_int": "T.tensor([2, 3]).prod()",
    "where_int_float": "T.where(T.tensor([True, False]), T.tensor([1, 2]), 0.5)",
    "where_float32_float64": "T.where(T.tensor([True, False]), T.ones(2), T.zeros(2, dtype=T.float64))",
    "cat_int_float": "T.cat([T.tensor([1, 2]), T.tensor([0.5])])",
    "stack_bool_int": "T.stack([T.tensor([True, False]), T.tensor([2, 3])])",
    "masked_fill_int_float_value": "T.tensor([1, 2]).masked_fill(T.tensor([True, False]), 0.5)",
    "int_grad_free_mul": "grads(lambda x: x * T.tensor([2, 3]), [1., 2.])",
    "float32_0d_float64_grad": "grads(lambda x, y: x.float() * y, [1., 2.], 3.)",
    # gradients at 0, as torch defines them
    "grad_pow_zero_exponent": "grads(lambda x: x ** 0, [0., 1.5, -2.])",
    "grad_pow_both_zero": "grads(lambda x, y: x ** y, [0., 0.], [0., 0.])",
    "grad_pow_base_zero": "grads(lambda x, y: x ** y, [0.], [0.3])",
    "grad_rpow_zero_base": "grads(lambda x: 0. ** x, [-1., 0., 1., 2.])",
    "grad_pow_mixed": "grads(lambda x, y: x ** y, [0., 0., 2., -1., 0.], [-1., 2., 0., 3., 0.5])",
    "grad_pow_scalar_exponents": "grads(lambda x: x ** 2 + x ** 1 + x ** 0.5 + x ** -1, [0., 1., 4.])",
    "grad_relu_abs_at_0": "grads(lambda x: x.relu() + x.abs() * 2, [0., -1., 1.])",
    "grad_clamp_bounds": "grads(lambda x: x.clamp(-1., 1.), [-1., 1., 0., 2., -2.])",
    "grad_clamp_min_above_max": "grads(lambda x: x.clamp(1., -1.), [-2., 0., 2.])",
    "grad_leaky_relu_elu_at_0": "grads(lambda x: F.leaky_relu(x, 0.1) + F.elu(x, alpha=2.) * 3, [0., -1., 1.])",
    "grad_hardtanh_relu6_bounds": "grads(lambda x: F.hardtanh(x) + F.relu6(x) * 2, [-1., 1., 0., 6., 0.5, 7.])",
    "grad_softplus_threshold": "grads(lambda x: F.softplus(x), [25., -25., 0., 20.])",
    "grad_sqrt_at_0": "grads(lambda x: x.sqrt(), [0., 4.])",
    "grad_max_ties": "grads(lambda x: x.max(), [1., 3., 3.])",
    "grad_min_ties": "grads(lambda x: x.min(), [1., 1., 3., 1.])",
    "grad_maximum_minimum_ties": "grads(lambda x, y: T.maximum(x, y) + T.minimum(x, y) * 3, [1., 2., 5.], [1., 3., 4.])",
    "grad_max_min_dim_ties": "grads(lambda x: x.max(dim=1).values + x.min(dim=0).values.sum(), [[1., 3., 3.], [2., 2., 0.]])",
    "grad_std_constant": "grads(lambda x: x.std(), [2., 2., 2.])",
    "grad_std_dim_one_constant_row": "grads(lambda x: x.std(dim=1), [[2., 2.], [1., 3.]])",
    "grad_prod_one_zero": "grads(lambda x: x.prod(), [2., 0., 3.])",
    "grad_prod_two_zeros": "grads(lambda x: x.prod(), [2., 0., 0.])",
    "grad_prod_dim_zeros": "grads(lambda x: x.prod(dim=1), [[2., 0., 3.], [1., 2., 3.], [0., 0., 1.]])",
    "grad_logsumexp_neginf": "grads(lambda x: x.logsumexp(dim=0), [float('-inf'), 0., 1.])",
    "grad_bce_at_edges": "grads(lambda x: F.binary_cross_entropy(x, T.tensor([1., 0., 1., 0.], dtype=T.float64)), "
                         "[0., 1., 1., 0.5])",
    "grad_where_scalar": "grads(lambda x: T.where(x > 0, x, 0.), [-1., 2.])",
    "grad_masked_fill_value": "grads(lambda x, v: x.masked_fill(x > 1., v), [0., 2., 3.], 5.)",
    "grad_gather_repeats": "grads(lambda x: x.gather(1, T.tensor([[0, 0], [1, 0]])), [[1., 2.], [3., 4.]])",
    # min without -max
    "min_int_extreme": "T.tensor([-9223372036854775808, 5]).min()",
    "max_int_extreme": "T.tensor([9223372036854775807, -9223372036854775808]).max()",
    "min_max_bool": "(T.tensor([True, False]).min(), T.tensor([True, False]).max())",
    "minimum_bool": "T.minimum(T.tensor([True, False]), T.tensor([True, True]))",
    "min_dim_int": "T.tensor([[3, -9223372036854775808, 1], [0, 0, -1]]).min(dim=1)",
    "min_dim_bool": "T.tensor([[True, False], [True, True]]).min(dim=1)",
    "argmin_argmax": "(T.tensor([[3., 1., 1.], [0., 5., -1.]]).argmin(dim=1), "
                     "T.tensor([[3., 1., 1.], [0., 5., 5.]]).argmax(dim=1, keepdim=True))",
    "argmax_flat": "T.tensor([[3., 1.], [7., 5.]]).argmax()",
    "argmin_flat_keepdim": "T.tensor([[3., 1.], [7., 5.]]).argmin(dim=None, keepdim=True)",
    # crashes and shapes
    "where_two_int_scalars": "T.where(T.tensor([True, False]), 1, 3)",
    "where_float_int_scalars": "T.where(T.tensor([[True], [False]]), 1., 3)",
    "where_scalar_tensor": "T.where(T.tensor([True, False]), 2, T.tensor([0.5, 0.25]))",
    "sum_dim0_0d": "T.tensor(2.).sum(0)",
    "sum_dim_neg1_0d_keepdim": "T.tensor(2.).sum(-1, keepdim=True)",
    "mean_dims_0d": "T.tensor(2.).mean(0)",
    "squeeze_0d": "(T.tensor(2.).squeeze(0), T.tensor(2.).squeeze(-1), T.tensor(2.).squeeze())",
    "unsqueeze_0d": "T.tensor(2.).unsqueeze(0)",
    "max_dim_0d": "T.tensor(2.).max(0)",
    "softmax_0d": "(T.tensor(2.).softmax(0), T.tensor(2.).log_softmax(-1))",
    "argmax_0d": "T.tensor(2.).argmax(0)",
    "transpose_0d": "T.tensor(2.).transpose(0, -1)",
    "flatten_0d": "T.tensor(2.).flatten()",
    "var_0d_dim": "T.tensor(2.).var(0, unbiased=False)",
    "grad_0d_reductions": "grads(lambda x: x.sum(0) * 2 + x.mean(-1) + x.max(0).values + x.squeeze(0), 3.)",
    "index_int_slice_array": "T.arange(24).reshape(2, 3, 4)[0, :, T.tensor([0, 1])]",
    "index_0d_tensor_slice_array": "T.arange(24).reshape(2, 3, 4)[T.tensor(1), :, T.tensor([0, 1])]",
    "index_array_int_adjacent": "T.arange(24).reshape(2, 3, 4)[T.tensor([1, 0]), 2]",
    "index_array_slice_int": "T.arange(24).reshape(2, 3, 4)[T.tensor([1, 0, 1]), :, 3]",
    "index_two_arrays_split_by_int": "T.arange(120).reshape(2, 3, 4, 5)[0, T.tensor([0, 1]), :, T.tensor([1, 2])]",
    "index_arrays_around_int": "T.arange(120).reshape(2, 3, 4, 5)[:, T.tensor([0, 1]), 0, T.tensor([1, 2])]",
    "index_ellipsis_int_array": "T.arange(120).reshape(2, 3, 4, 5)[..., 0, T.tensor([1, 2])]",
    "index_none_int_ellipsis_array": "T.arange(120).reshape(2, 3, 4, 5)[None, 1, ..., T.tensor([1, 2])]",
    "index_int_bool_mask": "T.arange(24).reshape(2, 3, 4)[1, T.tensor([True, False, True])]",
    "index_int_list": "T.arange(24).reshape(2, 3, 4)[0, :, [3, 1]]",
    "grad_index_int_array": "grads(lambda x: x[0, :, T.tensor([0, 1, 1])] * T.arange(9.).reshape(3, 3), "
                            "[[[float(i + 4 * j + 12 * k) for i in range(4)] for j in range(3)] for k in range(2)])",
    "cat_promotes": "T.cat([T.ones(2, dtype=T.float64), T.ones(1)])",
    # factories' dtypes
    "full_dtypes": "(T.full((2,), 3), T.full((2,), True), T.full((2,), 0.5), T.full((1,), 2, dtype=T.float64))",
    "factory_like_dtypes": "(T.zeros_like(T.tensor([1, 2])), T.ones_like(T.tensor([True])), T.zeros(2, dtype=T.int32))",
    "tensor_from_lists": "(T.tensor([1, 2.5]), T.tensor([True, False]), T.tensor([[1, 2]]), T.tensor(3), T.tensor(2.5))",
    "arange_dtypes": "(T.arange(3), T.arange(0, 1, 0.25), T.arange(0, 3, 1.0), T.arange(3, dtype=T.float64))",
    "randint_dtype": "(T.randint(0, 5, (3,)) * 0, T.randn(2) * 0, T.rand(2, dtype=T.float64) * 0)",
    # gelu's default
    "gelu_default": "F.gelu(T.tensor([-3., -1., -0.5, 0., 0.5, 1., 3.], dtype=T.float64))",
    "gelu_tanh": "F.gelu(T.tensor([-3., -1., -0.5, 0., 0.5, 1., 3.], dtype=T.float64), approximate='tanh')",
    "gelu_module_default": "nn.GELU()(T.tensor([-1., 1.], dtype=T.float64))",
    "gelu_float32": "F.gelu(T.tensor([-1., 0.5, 2.]))",
    # errors: the class is what a participant's except clause sees
    "err_broadcast": "T.ones(3, 4) + T.ones(3)",
    "err_broadcast_compare": "T.ones(3) == T.ones(2)",
    "err_matmul_shapes": "T.ones(3, 4) @ T.ones(5, 2)",
    "err_matmul_0d": "T.tensor(1.) @ T.tensor(2.)",
    "err_matmul_dtypes": "T.ones(2, 2, dtype=T.int64) @ T.ones(2, 2)",
    "err_matmul_float64_float32": "T.ones(2, 2, dtype=T.float64) @ T.ones(2, 2)",
    "err_linear_int_input": "nn.Linear(2, 2)(T.tensor([[1, 2]]))",
    "err_linear_shape": "nn.Linear(4, 2)(T.ones(3, 5))",
    "err_reshape": "T.ones(2, 3).reshape(4)",
    "err_view": "T.ones(2, 3).view(4, 2)",
    "err_cat_0d": "T.cat([T.tensor(1.), T.tensor(2.)])",
    "err_cat_shapes": "T.cat([T.ones(2, 3), T.ones(2, 4)])",
    "err_stack_shapes": "T.stack([T.ones(2, 3), T.ones(2, 4)])",
    "err_where_int_condition": "T.where(T.tensor([1, 0]), 1., 3.)",
    "err_where_broadcast": "T.where(T.tensor([True, False]), T.ones(3), T.ones(2))",
    "err_permute": "T.ones(2, 3).permute(0, 0)",
    "err_expand": "T.ones(2, 3).expand(4, 3)",
    "err_item": "T.ones(2).item()",
    "err_requires_grad_int": "T.tensor([1, 2]).requires_grad_()",
    "err_int_pow_negative": "T.tensor([2, 3]) ** -2",
    "err_mean_int": "T.tensor([1, 2]).mean()",
    "err_mean_bool": "T.tensor([True, False]).mean()",
    "err_std_int": "T.tensor([1, 2]).std()",
    "err_bool_of_many": "bool(T.tensor([1., 2.]))",
    "err_bool_of_none": "bool(T.tensor([]))",
    "err_bool_minus_bool": "T.tensor([True]) - T.tensor([True])",
    "err_backward_grad_shape": "(T.ones(2, requires_grad=True) * 2).backward(T.ones(3))",
    "err_backward_no_grad": "T.ones(2).sum().backward()",
    "err_backward_non_scalar": "(T.ones(2, requires_grad=True) * 2).backward()",
    "err_load_state_dict_shape": "nn.Linear(2, 2).load_state_dict({'weight': T.ones(3, 2), 'bias': T.ones(2)})",
    "err_load_state_dict_missing": "nn.Linear(2, 2).load_state_dict({'weight': T.ones(2, 2)})",
    "err_sum_dim": "T.ones(2).sum(1)",
    "err_sum_dim_0d": "T.tensor(1.).sum(1)",
    "err_transpose_dim": "T.ones(2).transpose(0, 2)",
    "err_softmax_dim": "T.ones(2).softmax(1)",
    "err_getitem_out_of_range": "T.ones(2)[5]",
    "err_len_0d": "len(T.tensor(1.))",
    "err_max_empty": "T.ones(0).max()",
    "err_masked_fill_int_mask": "T.ones(2).masked_fill(T.tensor([1, 0]), 0.)",
    "err_gather_float_index": "T.ones(2, 2).gather(1, T.tensor([[0., 1.], [1., 0.]]))",
    "err_gather_out_of_range": "T.ones(2, 2).gather(1, T.tensor([[0, 2], [1, 0]]))",
    "err_clamp_nothing": "T.ones(2).clamp()",
    "err_gelu_approximate": "F.gelu(T.ones(2), approximate='erf')",
    "err_ce_batch": "F.cross_entropy(T.zeros(4, 3), T.zeros(5, dtype=T.int64))",
    "err_ce_target_out_of_range": "F.cross_entropy(T.zeros(2, 3), T.tensor([0, 3]))",
    "err_ce_float_target_shape": "F.cross_entropy(T.zeros(4, 3), T.zeros(4))",
    "err_nll_float_target": "F.nll_loss(T.zeros(3, 4), T.tensor([0., 1., 2.]))",
    "err_bce_out_of_range": "F.binary_cross_entropy(T.tensor([1.5]), T.tensor([1.]))",
    "err_bce_shape": "F.binary_cross_entropy(T.tensor([0.5, 0.5]), T.tensor([1.]))",
    "err_bce_logits_shape": "F.binary_cross_entropy_with_logits(T.tensor([0.5, 0.5]), T.tensor([1.]))",
    "err_embedding_out_of_range": "nn.Embedding(3, 2)(T.tensor([3]))",
}

PROMOTION_KINDS = ("bool", "int32", "int64", "float32", "float64")
PROMOTION_FORMS = ("dim", "0d", "scalar")  # a 1-d tensor, a 0-d tensor, a Python number (bool, int or float)
PROMOTION_BINARY = ("add", "sub", "mul", "div", "pow", "eq", "lt", "maximum", "where")
PROMOTION_UNARY = ("exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "erf", "abs", "neg", "relu", "sum", "prod",
                   "mean", "std", "softmax")
SCALAR_OF_KIND = {"bool": True, "int32": 2, "int64": 2, "float32": 1.5, "float64": 1.5}  # Python numbers


def binary_op(op, a, b):
    if op == "where":
        return torch.where(torch.tensor([True, False]), a, b)
    if op == "maximum":
        return torch.maximum(a, b)
    return {"add": lambda: a + b, "sub": lambda: a - b, "mul": lambda: a * b, "div": lambda: a / b,
            "pow": lambda: a ** b, "eq": lambda: a == b, "lt": lambda: a < b}[op]()


def unary_op(op, a):
    if op == "softmax":
        return a.softmax(0)
    if op == "neg":
        return -a
    return getattr(a, op)()


def operand(kind, form):
    if form == "scalar":
        return SCALAR_OF_KIND[kind]
    dtype = getattr(torch, kind)
    values = [True, False] if kind == "bool" else [1, 2]
    return torch.tensor(values if form == "dim" else values[0], dtype=dtype)


def outcome(fn):
    try:
        out = fn()
    except Exception as exc:  # noqa: BLE001 - the class is the recording
        return "!" + type(exc).__name__
    return str(out.dtype).replace("torch.", "")


def promotion_table():
    table = {}
    for op in PROMOTION_BINARY:
        for ka in PROMOTION_KINDS:
            for fa in PROMOTION_FORMS:
                for kb in PROMOTION_KINDS:
                    for fb in PROMOTION_FORMS:
                        if fa == "scalar" and fb == "scalar":
                            continue
                        if (fa == "scalar" and ka in ("int32", "float32")) or (fb == "scalar" and kb in ("int32", "float32")):
                            continue  # a Python number is bool, int or float: int64 and float64 stand for them
                        a, b = operand(ka, fa), operand(kb, fb)
                        table[f"{op}|{ka}:{fa}|{kb}:{fb}"] = outcome(lambda: binary_op(op, a, b))
    for op in PROMOTION_UNARY:
        for kind in PROMOTION_KINDS:
            for form in ("dim", "0d"):
                a = operand(kind, form)
                table[f"{op}|{kind}:{form}"] = outcome(lambda: unary_op(op, a))
    return table


def torch_grads(fn, *values):
    """The output of ``fn`` at float64 tensors made from ``values``, then each input's gradient of its sum."""
    inputs = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in values]
    out = fn(*inputs)
    out.sum().backward()
    return (out.detach(),) + tuple(t.grad if t.grad is not None else torch.zeros_like(t) for t in inputs)


def probe_outputs(value):
    """The arrays of a probe's result: tensors, numbers, tuples of them (torch.return_types too)."""
    if isinstance(value, torch.Tensor):
        return [value.detach().numpy()]
    if isinstance(value, (tuple, list)):
        return [array for item in value for array in probe_outputs(item)]
    if isinstance(value, (bool, int, float)):
        return [np.array(value)]
    raise TypeError(f"probe returned a {type(value).__name__}")


def record_probes(arrays):
    namespace = {"T": torch, "F": F, "nn": torch.nn, "grads": torch_grads}
    results = {}
    for name, expression in PROBES.items():
        torch.manual_seed(0)
        try:
            outputs = probe_outputs(eval(expression, dict(namespace)))  # noqa: S307 - our own expressions
        except Exception as exc:  # noqa: BLE001
            results[name] = {"error": type(exc).__name__, "message": str(exc).splitlines()[0][:200]}
            continue
        results[name] = {"outputs": len(outputs), "python": not isinstance(eval(expression, dict(namespace)),
                                                                           (torch.Tensor, tuple, list))}
        for i, out in enumerate(outputs):
            arrays[f"probe/{name}/{i}"] = out
    arrays["probe/expressions"] = np.array(json.dumps(PROBES))
    arrays["probe/results"] = np.array(json.dumps(results))


def main():
    if torch.__version__.split("+")[0] != "2.13.0":
        raise SystemExit(f"this fixture is defined against torch 2.13.0, found {torch.__version__}")
    torch.manual_seed(0)
    rng = np.random.default_rng(1234)
    arrays = {}
    for name, (shapes, fn) in CASES.items():
        inputs = [torch.tensor(rng.standard_normal(shape), dtype=torch.float64, requires_grad=True) for shape in shapes]
        out = fn(*inputs)
        direction = torch.tensor(rng.standard_normal(tuple(out.shape)), dtype=torch.float64)
        out.backward(direction)
        arrays[f"{name}/out"] = out.detach().numpy()
        arrays[f"{name}/direction"] = direction.numpy()
        for i, t in enumerate(inputs):
            arrays[f"{name}/in{i}"] = t.detach().numpy()
            arrays[f"{name}/grad{i}"] = t.grad.numpy()
    new_rng = np.random.default_rng(5678)
    for name, (shapes, fn) in NEW_CASES.items():
        inputs = [torch.tensor(new_rng.standard_normal(shape), dtype=torch.float64, requires_grad=True)
                  for shape in shapes]
        out = fn(*inputs)
        direction = torch.tensor(new_rng.standard_normal(tuple(out.shape)), dtype=torch.float64)
        out.backward(direction)
        arrays[f"{name}/out"] = out.detach().numpy()
        arrays[f"{name}/direction"] = direction.numpy()
        for i, t in enumerate(inputs):
            arrays[f"{name}/in{i}"] = t.detach().numpy()
            arrays[f"{name}/grad{i}"] = (t.grad if t.grad is not None else torch.zeros_like(t)).numpy()
    record_probes(arrays)
    arrays["promotion/table"] = np.array(json.dumps(promotion_table()))
    arrays["torch_version"] = np.array(torch.__version__)

    # cross-entropy with ignore_index, and a small MLP's loss and gradients
    logits = torch.tensor(rng.standard_normal((6, 4)) * 50, requires_grad=True)
    target = torch.tensor([0, 3, 1, -100, 2, 3])
    loss = torch.nn.functional.cross_entropy(logits, target, ignore_index=-100)
    loss.backward()
    arrays.update({"ce/logits": logits.detach().numpy(), "ce/target": target.numpy(),
                   "ce/loss": loss.detach().numpy(), "ce/grad": logits.grad.numpy()})

    x = torch.tensor(rng.standard_normal((8, 5)))
    y = torch.tensor(rng.integers(0, 3, 8))
    w1 = torch.tensor(rng.standard_normal((5, 7)) * 0.5, requires_grad=True)
    b1 = torch.tensor(rng.standard_normal(7) * 0.1, requires_grad=True)
    w2 = torch.tensor(rng.standard_normal((7, 3)) * 0.5, requires_grad=True)
    b2 = torch.tensor(rng.standard_normal(3) * 0.1, requires_grad=True)
    loss = torch.nn.functional.cross_entropy(torch.tanh(x @ w1 + b1) @ w2 + b2, y)
    loss.backward()
    arrays.update({"mlp/x": x.numpy(), "mlp/y": y.numpy(), "mlp/loss": loss.detach().numpy()})
    for name, t in {"w1": w1, "b1": b1, "w2": w2, "b2": b2}.items():
        arrays[f"mlp/{name}"] = t.detach().numpy()
        arrays[f"mlp/grad_{name}"] = t.grad.numpy()

    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, **arrays)
    print(f"wrote {len(arrays)} arrays to {OUT} with torch {torch.__version__}")


if __name__ == "__main__":
    main()
