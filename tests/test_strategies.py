"""convmath.testing.strategies: every configuration drawn is one the reference accepts."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convmath import ConvMathError, conv_output_size, numeric, pool_output_size
from convmath.testing import strategies as cs


@settings(deadline=None)
@given(st.data())
def test_conv_configs_are_accepted_by_the_backend(data: st.DataObject) -> None:
    config = data.draw(
        cs.conv_configs(
            ndim=data.draw(st.integers(1, 3), label="ndim"),
            max_size=5,
            max_groups=2,
            batch=data.draw(st.booleans(), label="batch"),
        )
    )
    x, weight, bias = data.draw(cs.conv_arrays(config))
    out = numeric.correlate(x, weight, bias, **config.options())
    assert out.shape == config.output_shape
    assert config.in_channels % config.groups == 0 and config.out_channels % config.groups == 0


@settings(deadline=None)
@given(cs.conv_configs(padding_forms=("same",), max_stride=3))
def test_same_padding_only_with_stride_one(config: cs.ConvConfig) -> None:
    assert config.stride == (1, 1)
    assert config.output_spatial == config.spatial


@settings(deadline=None)
@given(cs.conv_configs(padding_forms=("valid",), max_kernel=4, max_size=1))
def test_kernel_as_large_as_the_input_is_drawn(config: cs.ConvConfig) -> None:
    # max_size=1: the input is exactly as large as the (dilated) kernel
    assert config.output_spatial == (1, 1)


@settings(deadline=None)
@given(st.data())
def test_pool_configs_are_accepted_by_the_backend(data: st.DataObject) -> None:
    config = data.draw(cs.pool_configs(dilation=True, batch=data.draw(st.booleans()), square=data.draw(st.booleans())))
    x = data.draw(cs.int_arrays(config.input_shape)).astype(float)
    assert all(p <= k // 2 for p, k in zip(config.padding, config.kernel_size))
    out = numeric.max_pool(
        x,
        config.kernel_size,
        stride=config.stride,
        padding=config.padding,
        dilation=config.dilation,
        ceil_mode=config.ceil_mode,
    )
    assert out.shape[-config.ndim :] == config.output_spatial


@settings(deadline=None)
@given(
    st.sampled_from(["conv", "pool"]).flatmap(
        lambda layer: st.tuples(st.just(layer), cs.output_size_arguments(layer=layer))
    )
)
def test_output_size_arguments_are_valid(drawn: tuple[str, dict[str, int]]) -> None:
    layer, a = drawn
    fn = conv_output_size if layer == "conv" else pool_output_size
    n = a.pop("n")
    assert fn(n, a.pop("kernel_size"), **a) >= 1


@settings(deadline=None)
@given(cs.layer_stacks())
def test_layer_stacks_build_a_network(stack: tuple[tuple[int, ...], list[dict]]) -> None:
    from convmath.network import Network

    input_shape, layers = stack
    shape = Network(layers, input_shape).output_shape
    assert len(shape) == 3 and min(shape) >= 1


@settings(deadline=None)
@given(cs.corr2d_inputs())
def test_corr2d_inputs_fit(pair: tuple[np.ndarray, np.ndarray]) -> None:
    X, K = pair
    assert X.dtype == K.dtype == np.int64
    assert numeric.corr2d(X, K).shape == (X.shape[0] - K.shape[0] + 1, X.shape[1] - K.shape[1] + 1)


@settings(deadline=None)
@given(cs.small_int_matrices(min_side=2, max_side=3, min_value=-1, max_value=5))
def test_small_int_matrices_respect_bounds(m: np.ndarray) -> None:
    assert 2 <= min(m.shape) and max(m.shape) <= 3 and m.min() >= -1 and m.max() <= 5


@pytest.mark.parametrize(
    "make, message",
    [
        pytest.param(
            lambda: cs.conv_configs(padding_forms=("half",)),
            r"padding_forms entry 'half' is not allowed; use 'int', 'per_dim'",
            id="bad-form",
        ),
        pytest.param(
            lambda: cs.conv_configs(padding_forms=()), r"padding_forms=\(\) must name at least one", id="no-form"
        ),
        pytest.param(
            lambda: cs.small_int_matrices(min_value=3, max_value=1), r"max_value=1 must be an integer >= 3", id="bounds"
        ),
        pytest.param(lambda: cs.output_size_arguments(layer="dense"), r"layer='dense' is not allowed", id="layer"),
    ],
)
def test_invalid_arguments(make, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConvMathError, match=message):
        make()
