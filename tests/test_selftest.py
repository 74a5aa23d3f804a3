"""The self-tests of exercises.selftest: every registered family passes, and each test catches what it is for."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import sympy

from exercises.families import families, generate
from exercises.selftest import (
    check_choices,
    check_distinct,
    check_domains,
    check_exercise,
    check_family,
    check_mutations,
    function_mutants,
)


@pytest.mark.parametrize("name", sorted(families()))
def test_every_family_passes_without_mutation(name: str) -> None:
    assert [str(f) for f in check_family(name, range(3), mutation_seeds=0)] == []


@pytest.mark.slow
@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_implement_function_mutants_all_fail(difficulty: int) -> None:
    assert [str(f) for f in check_mutations(generate("implement_function", 0, difficulty=difficulty))] == []


def test_a_check_that_ignores_an_argument_is_caught() -> None:
    """pool2d's check calling only mode="max" (as before issue 12) lets the mode-ignoring mutant pass."""
    ex = generate("implement_function", 0, difficulty=3)
    part = ex.parts[0]
    broken = dataclasses.replace(
        part, answer=dataclasses.replace(part.answer, config={**part.answer.config, "mode_arg": False})
    )
    found = check_mutations(dataclasses.replace(ex, parts=(broken,) + ex.parts[1:]))
    assert found and all(f.test == "mutation" for f in found)


def test_mutants_cover_arguments_and_results() -> None:
    names = [
        how
        for how, _ in function_mutants(
            lambda X, k, mode="max": np.asarray(X), (np.ones((2, 2)), (1, 1)), {"mode": "avg"}, ("X", "pool_size")
        )
    ]
    assert {
        "X fixed to zeros",
        "pool_size fixed to (1, 1)",
        "mode ignored (default used)",
        "mode fixed to 'max'",
        "result transposed",
        "result flipped",
        "result + 1",
    } <= set(names)


def test_two_options_passing_is_caught() -> None:
    ex = generate("convolution_vs_correlation", 1, difficulty=2)
    part = next(p for p in ex.parts if p.answer.kind == "choice")
    values = dict(part.answer.option_values)
    other = next(k for k in values if k != part.answer.expected)
    values[other] = values[part.answer.expected]
    broken = dataclasses.replace(part, answer=dataclasses.replace(part.answer, option_values=values))
    found = check_choices(dataclasses.replace(ex, parts=(broken,)))
    assert [f.test for f in found] == ["uniqueness"]


def test_choice_options_give_distinct_results_over_many_seeds() -> None:
    """Kᵀ and K turned by 180° can give the same 2x2 output: such variants are never drawn."""
    for seed in range(300):
        ex = generate("convolution_vs_correlation", seed, difficulty=2)
        assert check_choices(ex) == []


def test_digestion_closed_form_is_compared_where_the_prompt_says_it_holds() -> None:
    """food_digestion (b) holds for t >= end: a form right for every t (max(t, end) inside) is accepted there,
    and would be refused at t = 1 if the whole positive axis were sampled."""
    from exercises.domains import differs
    from exercises.families._common import sympy_symbols

    for seed in range(3):
        ex = generate("food_digestion", seed, difficulty=2)
        part = next(p for p in ex.parts if p.answer.kind == "expression")
        ((low, high),) = part.answer.bounds.values()
        assert high is None and low > 0
        t = sympy_symbols(part.answer.symbols)["t"]
        key = part.answer.expected.xreplace({s: t for s in part.answer.expected.free_symbols})
        everywhere = key.xreplace({t: sympy.Max(t, low)})
        assert differs(everywhere, key, part.answer.symbols, part.answer.bounds) is None
        assert differs(everywhere, key, part.answer.symbols, {}) is not None
        assert check_domains(ex) == []


def test_a_mistake_that_gives_the_key_is_caught() -> None:
    ex = generate("conv_output_size", 5, difficulty=3)
    part = ex.parts[0]
    broken = dataclasses.replace(
        part, wrong_answers=(dataclasses.replace(part.wrong_answers[0], value=part.answer.expected),)
    )
    assert [f.test for f in check_distinct(dataclasses.replace(ex, parts=(broken,)))] == ["distinct"]


def test_expression_families_pass_the_domain_test() -> None:
    for seed in range(3):
        ex = generate("output_size_formula", seed, difficulty=3)
        assert check_exercise(ex, mutation=False) == []
        assert any(p.answer.kind == "expression" for p in ex.parts)
        n = sympy.Symbol("n", integer=True, positive=True)
        assert n.is_positive
