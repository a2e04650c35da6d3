"""The routing model's postal class per SKU: stated (postal_category or postal_rate) or, for
goods subject to consumption tax, the 50% class of the tax rules (Shuiweihui [2019] 17)."""

from __future__ import annotations

import pytest

import cbecopt
from cbecopt.models.routing.data import RoutingConfig, RoutingData
from helpers import has
from routing_helpers import write_routing_instance

LANES = [
    ("FR", "BW", "air_bulk", 5, 5),
    ("BW", "M1", "last_mile", 3, 2),
    ("FR", "M1", "postal_parcel", 20, 10),
]
"""A bonded route and a postal lane, so every SKU can be served."""


def instance_of(tmp_path, products: list[dict]) -> cbecopt.Instance:
    folder = write_routing_instance(
        tmp_path / "x",
        [{"price": 600.0, **p} for p in products],
        [{"market": "M1", "sku": p["sku"], "quantity": 1} for p in products],
        lanes=LANES,
    )
    return cbecopt.load_instance(folder)


def postal_tax_per_unit(instance: cbecopt.Instance) -> dict[str, float]:
    table = RoutingData.from_instance(instance, RoutingConfig()).channel_table
    postal = table[table["channel"] == "postal"]
    return dict(zip(postal["sku"], postal["tax_per_unit"], strict=True))


def problems_of(instance: cbecopt.Instance) -> list[str]:
    with pytest.raises(cbecopt.InputError) as caught:
        RoutingData.from_instance(instance, RoutingConfig())
    return [str(p) for p in caught.value.problems]


@pytest.mark.unit
def test_the_postal_class_comes_from_the_goods(tmp_path):
    # RMB 600 parcels: food 13% = 78.00, handbags 20% = 120.00, high-end cosmetics 50% =
    # 300.00; a consumption-taxed product stating no class is in the 50% class: 300.00.
    instance = instance_of(
        tmp_path,
        [
            {"sku": "F", "postal_rate": None, "postal_category": "food"},
            {"sku": "H", "postal_rate": None, "postal_category": "handbags"},
            {"sku": "C", "postal_rate": None, "postal_category": "high_end_cosmetics"},
            {"sku": "T", "postal_rate": None, "consumption_tax_rate": 0.15},
            {"sku": "R", "postal_rate": 0.2},
        ],
    )
    assert postal_tax_per_unit(instance) == {
        "F": 78.0,
        "H": 120.0,
        "C": 300.0,
        "T": 300.0,
        "R": 120.0,
    }


@pytest.mark.unit
def test_a_class_against_the_consumption_tax_is_kept_and_warned_of_by_row(tmp_path):
    instance = instance_of(
        tmp_path,
        [
            {"sku": "A", "postal_rate": None, "postal_category": "food"},
            {
                "sku": "B",
                "postal_rate": None,
                "consumption_tax_rate": 0.15,
                "postal_category": "cosmetics",
            },
            {"sku": "C", "postal_rate": 0.13, "consumption_tax_rate": 0.15},
        ],
    )
    assert postal_tax_per_unit(instance) == {"A": 78.0, "B": 120.0, "C": 78.0}
    warnings = cbecopt.validate(instance, "routing").checks["routing"].warnings
    assert has(warnings, "products.csv, row 3, column 'postal_category'", "SKU 'B'", "postal_50")
    assert has(warnings, "products.csv, row 4, column 'postal_category'", "SKU 'C'", "kept")
    assert not has(warnings, "row 2")


@pytest.mark.unit
def test_a_product_without_a_class_or_with_two_is_named_by_row(tmp_path):
    instance = instance_of(
        tmp_path,
        [
            {"sku": "A", "postal_rate": None},
            {"sku": "B", "postal_rate": 0.2, "postal_category": "food"},
            {"sku": "C", "postal_rate": 0.13, "postal_category": "food"},
            {"sku": "D", "postal_rate": None, "postal_category": "caviar"},
        ],
    )
    found = problems_of(instance)
    assert has(found, "products.csv, row 2, column 'postal_category'", "postal class of SKU 'A'")
    assert has(found, "products.csv, row 3, column 'postal_category'", "postal_13 (13%)", "0.2")
    assert has(found, "products.csv, row 5, column 'postal_category'", "unknown postal category")
    assert not has(found, "row 4")


@pytest.mark.unit
def test_without_a_postal_category_column_the_rate_column_is_named(tmp_path):
    found = problems_of(instance_of(tmp_path, [{"sku": "A", "postal_rate": None}]))
    assert has(
        found, "products.csv, row 2, column 'postal_rate'", "postal_category, or postal_rate"
    )
