"""Dividing an amount of money exactly: the till's splits (restaurant/billing/compute.py) and
a set meal's price shared among its parts (restaurant/kitchen/sets.py) use the one rule."""


def allocate(amount: int, weights: dict) -> dict:
    """Divide ``amount`` (minor units, any sign) among the keys of ``weights`` (≥ 0) in
    proportion, by largest remainder: the parts sum to ``amount`` exactly. Ties in remainder
    go to the key that comes first (in the dict's order). All weights 0: equal parts. No keys:
    ValueError (an amount must go to someone)."""
    if not weights:
        raise ValueError("nobody to allocate to")
    if amount < 0:
        return {k: -v for k, v in allocate(-amount, weights).items()}
    if any(w < 0 for w in weights.values()):
        raise ValueError("weights must not be negative")
    total_weight = sum(weights.values())
    if total_weight == 0:
        weights = dict.fromkeys(weights, 1)
        total_weight = len(weights)
    parts, remainders = {}, []
    for index, (key, weight) in enumerate(weights.items()):
        whole, remainder = divmod(amount * weight, total_weight)
        parts[key] = whole
        remainders.append((-remainder, index, key))
    left = amount - sum(parts.values())
    for _, _, key in sorted(remainders)[:left]:
        parts[key] += 1
    return parts
