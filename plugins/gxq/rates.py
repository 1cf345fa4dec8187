"""Rates (比率) as the contract defines them: numerator / denominator rounded to 4 decimals,
``None`` when the denominator is 0."""


def rate(numerator: float, denominator: float) -> float | None:
    if not denominator:
        return None
    return round(numerator / denominator, 4)
