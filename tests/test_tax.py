"""China import tax under CBEC retail, postal articles and general trade; the dated rules file."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess

import pytest

from cbecopt.errors import InputError, OptionError
from cbecopt.tax import (
    Regime,
    cbec_order_tax,
    cbec_retail_tax,
    general_trade_tax,
    landed_taxes,
    postal_allowed,
    postal_class,
    postal_tax,
)
from cbecopt.tax_rules import bundled_rules_path, load_tax_rules, read_rule_sets
from oracles.tax import cbec_comprehensive_rate
from test_cli import cbecopt_in_process

RULES = load_tax_rules()
POSTAL_20 = postal_class(RULES, 0.0, rate=0.20)

# A 2016-style rule set (2,000 / 20,000 limits, 15/30/60% postal rates) before the bundled one.
TWO_SETS = """
[rules."2016-04-08"]
source = ["MOF/GACC/SAT 2016 No. 18"]
cbec_tariff = 0.0
cbec_discount = 0.7
cbec_single_limit = 2000
cbec_annual_limit = 20000
postal_exemption = 50
postal_value_limit = 1000
postal_consumption_taxed = "postal_60"
postal_rates = { postal_15 = 0.15, postal_30 = 0.30, postal_60 = 0.60 }

[rules."2019-04-09"]
source = ["MOF/GACC/SAT 2018 No. 49"]
cbec_tariff = 0.0
cbec_discount = 0.7
cbec_single_limit = 5000
cbec_annual_limit = 26000
postal_exemption = 50
postal_value_limit = 1000
postal_consumption_taxed = "postal_50"
postal_rates = { postal_13 = 0.13, postal_20 = 0.20, postal_50 = 0.50 }
"""


# --- the bundled rules ---------------------------------------------------------------------


@pytest.mark.unit
def test_bundled_rules_are_the_2019_cbec_and_postal_rules():
    rules = load_tax_rules(date="2019-04-09")
    assert rules.effective == dt.date(2019, 4, 9)
    assert (rules.cbec_tariff, rules.cbec_discount) == (0.0, 0.7)
    assert (rules.cbec_single_limit, rules.cbec_annual_limit) == (5000, 26000)
    assert (rules.postal_exemption, rules.postal_value_limit) == (50, 1000)
    assert rules.postal_rates == {"postal_13": 0.13, "postal_20": 0.20, "postal_50": 0.50}
    assert rules.postal_consumption_taxed == "postal_50"
    cited = " ".join(rules.source)
    assert "2016 No. 18" in cited and "2018 No. 49" in cited and "2019-04-09" in cited


@pytest.mark.unit
def test_dated_sets_of_the_customs_tariff_law_and_the_vat_law_change_no_value():
    # The Customs Tariff Law (in force 2024-12-01) and the VAT Law (2026-01-01) restate the
    # CBEC limits, the 70% share, the 0% tariff and the 13/20/50% postal rates unchanged.
    sets = read_rule_sets(bundled_rules_path())
    assert sorted(sets) == [dt.date(2019, 4, 9), dt.date(2024, 12, 1), dt.date(2026, 1, 1)]
    assert RULES.effective == dt.date(2026, 1, 1)
    for rules in sets.values():
        assert (rules.cbec_tariff, rules.cbec_discount) == (0.0, 0.7)
        assert (rules.cbec_single_limit, rules.cbec_annual_limit) == (5000, 26000)
        assert (rules.postal_exemption, rules.postal_value_limit) == (50, 1000)
        assert rules.postal_rates == {"postal_13": 0.13, "postal_20": 0.20, "postal_50": 0.50}
    assert load_tax_rules(date="2025-12-31").effective == dt.date(2024, 12, 1)
    tariff_law = " ".join(sets[dt.date(2024, 12, 1)].source)
    assert "Customs Tariff Law" in tariff_law and "2024-12-01" in tariff_law
    latest = " ".join(RULES.source)
    assert "Value-Added Tax Law" in latest and "2026-01-01" in latest
    assert "Customs Tariff Law" in latest


# --- CBEC retail: the worked examples ------------------------------------------------------


@pytest.mark.unit
def test_cbec_cosmetics_425_at_13_vat_15_consumption_tax():
    # CT = 0.7 * 425 * 0.15 / 0.85 = 0.7 * 75 = 52.50; VAT = 0.7 * (425 + 75) * 0.13 = 45.50.
    tax = cbec_retail_tax(425, 0.13, 0.15, RULES)
    assert (tax.tariff, tax.consumption_tax, tax.vat, tax.total) == (0.0, 52.50, 45.50, 98.00)


@pytest.mark.unit
def test_cbec_comprehensive_rates():
    assert cbec_comprehensive_rate(0.13, 0.0, RULES) == pytest.approx(0.091, rel=1e-12)
    assert f"{cbec_comprehensive_rate(0.13, 0.15, RULES):.2%}" == "23.06%"


@pytest.mark.unit
@pytest.mark.parametrize(("vat", "consumption_tax"), [(0.13, 0.0), (0.13, 0.15), (0.09, 0.3)])
@pytest.mark.parametrize("value", [100, 425, 1000, 4999.99])
def test_cbec_tax_is_the_comprehensive_rate_of_the_value_to_the_fen(value, vat, consumption_tax):
    # Two taxes, each rounded half to the fen once: within a fen of the unrounded closed form.
    exact = value * cbec_comprehensive_rate(vat, consumption_tax, RULES)
    total = cbec_retail_tax(value, vat, consumption_tax, RULES).total
    assert abs(total - exact) <= 0.01 + 1e-9


@pytest.mark.unit
def test_cbec_ordinary_goods_300_and_200():
    assert cbec_retail_tax(300, 0.13, 0.0, RULES).total == 27.30
    assert cbec_retail_tax(200, 0.13, 0.0, RULES).total == 18.20


# --- postal articles -----------------------------------------------------------------------


@pytest.mark.unit
def test_postal_300_at_20_percent_pays_60():
    tax = postal_tax(300, 0.20, RULES)
    assert (tax.assessed, tax.exempt, tax.total) == (60.00, False, 60.00)


@pytest.mark.unit
def test_postal_200_at_20_percent_is_exempt():
    tax = postal_tax(200, 0.20, RULES)  # 40.00 is 50 or less: not collected
    assert (tax.assessed, tax.exempt, tax.total) == (40.00, True, 0.0)


@pytest.mark.unit
def test_postal_exactly_50_is_exempt():
    assert postal_tax(250, 0.20, RULES).total == 0.0
    assert postal_tax(250.05, 0.20, RULES).total == 50.01


@pytest.mark.unit
def test_postal_parcel_ceiling():
    assert postal_allowed(1000, 3, RULES) == (True, "")
    allowed, reason = postal_allowed(1200, 2, RULES)
    assert not allowed and "ceiling RMB 1,000" in reason
    allowed, reason = postal_allowed(1200, 1, RULES)
    assert allowed and "single indivisible item" in reason


# --- general trade -------------------------------------------------------------------------


@pytest.mark.unit
def test_general_trade_by_hand():
    # V = 1000, tariff 10%, consumption tax 15%, VAT 13%:
    #   tariff = 1000 * 0.10                          = 100.00
    #   CT     = (1000 + 100) * 0.15 / 0.85 = 194.1176... -> 194.12
    #   VAT    = (1100 + 194.1176...) * 0.13 = 168.2352... -> 168.24
    #   total  = 100.00 + 194.12 + 168.24             = 462.36 (sum of the rounded taxes;
    #            rounding the exact sum 462.3529... would give 462.35)
    tax = general_trade_tax(1000, 0.13, 0.15, 0.10)
    assert (tax.tariff, tax.consumption_tax, tax.vat, tax.total) == (100.0, 194.12, 168.24, 462.36)


@pytest.mark.unit
def test_rounding_is_half_up_on_the_exact_amount():
    # 2.50 * 0.09 = 0.225 exactly; in floats 0.22499999999999998, which naive rounding takes to 0.22.
    assert general_trade_tax(2.5, 0.09, 0.0, 0.0).vat == 0.23


@pytest.mark.unit
def test_a_tariff_above_100_percent_is_lawful():
    assert general_trade_tax(100, 0.13, 0.0, 1.25).total == 154.25  # 125.00 + 225 * 0.13


@pytest.mark.unit
@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((-1, 0.13, 0.0, 0.0), "value must be 0 or more"),
        ((100, 1.0, 0.0, 0.0), "VAT rate must be in [0, 1)"),
        ((100, 0.13, 1.0, 0.0), "consumption tax rate must be in [0, 1)"),
        ((100, 0.13, 0.0, -0.1), "tariff rate must be 0 or more"),
        ((float("nan"), 0.13, 0.0, 0.0), "value must be a finite number"),
    ],
)
def test_bad_amounts_and_rates_are_refused(args, message):
    with pytest.raises(OptionError, match=re.escape(message)):
        general_trade_tax(*args)


# --- the order-value rules -----------------------------------------------------------------


@pytest.mark.unit
def test_multi_item_order_above_single_limit_goes_to_general_trade():
    order = cbec_order_tax(5200, 2, RULES, 0.13, 0.0, 0.05)
    assert order.regime == Regime.GENERAL_TRADE
    assert order.tax == general_trade_tax(5200, 0.13, 0.0, 0.05)
    assert order.tax.total == 969.80  # tariff 5200 * 0.05 = 260.00; VAT 5460 * 0.13 = 709.80
    assert "2 items above the single-transaction limit RMB 5,000" in order.reason


@pytest.mark.unit
def test_multi_item_order_at_the_single_limit_is_cbec():
    order = cbec_order_tax(5000, 3, RULES, 0.13, 0.0, 0.05)
    assert order.regime == Regime.CBEC and order.tax.total == 455.0  # 5000 * 9.1%


@pytest.mark.unit
def test_single_item_above_single_limit_uses_cbec_at_full_tax():
    order = cbec_order_tax(6000, 1, RULES, 0.13, 0.0, 0.10)
    assert order.regime == Regime.CBEC_FULL_TAX
    # tariff 600.00; VAT (6000 + 600) * 0.13 = 858.00
    assert (order.tax.tariff, order.tax.vat, order.tax.total) == (600.0, 858.0, 1458.0)


@pytest.mark.unit
def test_annual_limit():
    within = cbec_order_tax(3000, 1, RULES, 0.13, 0.0, 0.0, annual_used=23000)  # reaches 26,000
    assert within.regime == Regime.CBEC and within.tax.total == 273.0
    beyond = cbec_order_tax(3000, 1, RULES, 0.13, 0.0, 0.0, annual_used=23000.01)
    assert beyond.regime == Regime.GENERAL_TRADE and beyond.tax.total == 390.0
    assert "annual limit RMB 26,000" in beyond.reason
    # a single item above the annual limit cannot use CBEC even as a buyer's first order
    assert cbec_order_tax(27000, 1, RULES, 0.13, 0.0, 0.0).regime == Regime.GENERAL_TRADE


@pytest.mark.unit
def test_items_must_be_at_least_one():
    with pytest.raises(OptionError, match="items"):
        cbec_order_tax(100, 0, RULES, 0.13, 0.0, 0.0)


# --- the postal class of the goods ------------------------------------------------------


@pytest.mark.unit
def test_consumption_taxed_goods_are_in_the_50_percent_class():
    # The README's RMB 425 high-end cosmetic (consumption tax 15%): postal 425 x 50% = 212.50.
    cosmetic = postal_class(RULES, 0.15)
    assert (cosmetic.name, cosmetic.rate, cosmetic.warning) == ("postal_50", 0.5, "")
    assert postal_tax(425, cosmetic.rate, RULES).total == 212.50
    assert landed_taxes(425, 0.13, 0.15, 0.0, cosmetic, RULES)["postal"]["total"] == 212.50


@pytest.mark.unit
@pytest.mark.parametrize(
    ("goods", "rate"),
    [
        ("books", 0.13),
        ("infant_formula", 0.13),
        ("medicines", 0.13),
        ("textiles", 0.20),
        ("handbags", 0.20),
        ("jewellery", 0.50),
        ("high_end_watches", 0.50),
        ("high_end_cosmetics", 0.50),
        ("postal_20", 0.20),
    ],
)
def test_named_goods_take_the_rate_of_their_class(goods, rate):
    # Shuiweihui [2019] 17: item 1 (books, IT, food, medicines...) 13%, item 2 (textiles and
    # everything not elsewhere) 20%, item 3 (jewellery, watches, high-end cosmetics...) 50%.
    assert postal_class(RULES, 0.0, category=goods).rate == rate


@pytest.mark.unit
def test_a_class_contradicting_the_consumption_tax_is_kept_with_a_warning():
    stated = postal_class(RULES, 0.15, category="cosmetics")
    assert (stated.name, stated.rate) == ("postal_20", 0.20)
    assert "postal_50" in stated.warning and "kept as stated" in stated.warning
    assert "consumption tax" in postal_class(RULES, 0.10, rate=0.13).warning
    assert postal_class(RULES, 0.0, category="jewellery").warning == ""  # gold: no import CT


@pytest.mark.unit
def test_the_postal_class_must_be_stated_once_or_told_by_consumption_tax():
    assert postal_class(RULES, 0.0) is None
    with pytest.raises(OptionError, match="not both"):
        postal_class(RULES, 0.0, category="food", rate=0.13)
    with pytest.raises(OptionError, match="unknown postal category 'caviar'"):
        postal_class(RULES, 0.0, category="caviar")


@pytest.mark.unit
def test_a_rules_file_of_ones_own_names_its_consumption_taxed_class(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text(TWO_SETS, encoding="utf-8")
    assert postal_class(load_tax_rules(path, "2018-01-01"), 0.15).rate == 0.60
    path.write_text(TWO_SETS.replace('taxed = "postal_60"', 'taxed = "postal_99"'), "utf-8")
    with pytest.raises(InputError, match="postal_consumption_taxed: 'postal_99' is not a class"):
        load_tax_rules(path)


# --- landed_taxes --------------------------------------------------------------------------


@pytest.mark.unit
def test_landed_taxes_one_entry_per_regime():
    taxes = landed_taxes(300, 0.13, 0.0, 0.0, POSTAL_20, RULES)
    assert set(taxes) == {"cbec", "postal", "general_trade"}
    assert taxes["cbec"] == {
        "applied": "cbec",
        "allowed": True,
        "reason": "",
        "tariff": 0.0,
        "consumption_tax": 0.0,
        "vat": 27.30,
        "total": 27.30,
    }
    assert taxes["postal"] == {
        "allowed": True,
        "reason": "",
        "category": "postal_20",
        "basis": "rate as stated",
        "warning": "",
        "rate": 0.20,
        "assessed": 60.0,
        "exempt": False,
        "total": 60.0,
    }
    assert taxes["general_trade"]["total"] == 39.0
    json.dumps(taxes)  # plain data


@pytest.mark.unit
def test_landed_taxes_say_why_a_regime_is_closed():
    taxes = landed_taxes(5200, 0.13, 0.0, 0.0, POSTAL_20, RULES, items=2)
    assert not taxes["cbec"]["allowed"] and taxes["cbec"]["applied"] == "general_trade"
    assert taxes["cbec"]["total"] == taxes["general_trade"]["total"]
    assert not taxes["postal"]["allowed"] and "ceiling" in taxes["postal"]["reason"]


# --- one tariff, several values -----------------------------------------------------------


@pytest.mark.unit
def test_tariff_10_percent_at_13_vat_per_value():
    # CBEC: no tariff, 70% of VAT: 425 * 0.7 * 0.13 = 38.675 -> 38.68 (half up), 300 -> 27.30,
    # 200 -> 18.20; 6000 is above the single limit: general trade, 600 + 6600 * 0.13 = 1458.
    # Postal at 20%: 85, 60, 40 (under the 50 exemption: 0), 1200.
    totals = {
        value: landed_taxes(value, 0.13, 0.0, 0.10, POSTAL_20, RULES)
        for value in (425.0, 300.0, 200.0, 6000.0)
    }
    assert [t["cbec"]["total"] for t in totals.values()] == [38.68, 27.30, 18.20, 1458.0]
    assert [t["postal"]["total"] for t in totals.values()] == [85.0, 60.0, 0.0, 1200.0]


# --- the loader ----------------------------------------------------------------------------


@pytest.mark.unit
def test_loader_picks_the_set_in_force_on_a_date(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text(TWO_SETS, encoding="utf-8")
    assert load_tax_rules(path).effective == dt.date(2019, 4, 9)
    old = load_tax_rules(path, dt.date(2019, 4, 8))
    assert old.effective == dt.date(2016, 4, 8) and old.cbec_single_limit == 2000
    assert load_tax_rules(path, "2019-04-09").cbec_single_limit == 5000
    assert load_tax_rules(path, "2030-01-01").effective == dt.date(2019, 4, 9)
    with pytest.raises(OptionError, match="no tax rule set in force on 2016-04-07"):
        load_tax_rules(path, "2016-04-07")


@pytest.mark.unit
def test_loader_names_file_table_and_key_of_every_problem(tmp_path):
    path = tmp_path / "rules.toml"
    bad = TWO_SETS.replace("cbec_discount = 0.7\ncbec_single_limit = 5000", "cbec_discount = 1.5")
    path.write_text(bad.replace("postal_60 = 0.60", "postal_60 = 0.6, postal_x = 1"), "utf-8")
    with pytest.raises(InputError) as caught:
        load_tax_rules(path)
    message = str(caught.value)
    assert f'{path}: [rules."2019-04-09"] cbec_discount: must be in [0, 1], got 1.5' in message
    assert f'{path}: [rules."2019-04-09"] cbec_single_limit: missing' in message
    assert (
        f'{path}: [rules."2016-04-08"] postal_rates.postal_x: must be in [0, 1), got 1' in message
    )


@pytest.mark.unit
def test_loader_refuses_a_table_that_is_not_a_date_and_a_file_that_is_not_toml(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text(TWO_SETS.replace('"2016-04-08"', '"spring"'), encoding="utf-8")
    with pytest.raises(InputError, match=r'\[rules."spring"\]: the table name must be a date'):
        load_tax_rules(path)
    path.write_text("[rules\n", encoding="utf-8")
    with pytest.raises(InputError, match="cannot be read as TOML"):
        load_tax_rules(path)


# --- the command ---------------------------------------------------------------------------


def cbecopt(*args: str) -> subprocess.CompletedProcess:
    """``cbecopt tax ...``, run in this process (the command's output is checked, not the
    process; an unhandled exception still shows as a traceback on stderr)."""
    return cbecopt_in_process("tax", *args)


@pytest.mark.integration
def test_cli_json():
    run = cbecopt("--value", "425", "--vat", "0.13", "--consumption-tax", "0.15", "--json")
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert set(data) == {"cbec", "postal", "general_trade", "rules"}
    assert data["rules"] == "2026-01-01"
    assert data["cbec"]["total"] == 98.0 and data["cbec"]["vat"] == 45.5
    # High-end cosmetics bear consumption tax: postal class 50%, 425 x 0.5 = 212.50.
    assert data["postal"]["category"] == "postal_50"
    assert data["postal"]["total"] == 212.5 and data["general_trade"]["total"] == 140.0


@pytest.mark.integration
def test_cli_table_shows_every_regime():
    run = cbecopt("--value", "200", "--postal-category", "postal_20", "--date", "2019-04-09")
    assert run.returncode == 0, run.stderr
    for shown in ("cbec", "postal", "general_trade", "18.20", "40.00 exempt", "2019-04-09"):
        assert shown in run.stdout


@pytest.mark.integration
def test_cli_postal_class_from_named_goods_or_a_stated_rate():
    # Food is in the 13% class: 500 x 0.13 = 65.00; a stated 20% rate gives 100.00.
    food = json.loads(cbecopt("--value", "500", "--postal-category", "food", "--json").stdout)
    assert (food["postal"]["category"], food["postal"]["total"]) == ("postal_13", 65.0)
    rate = json.loads(cbecopt("--value", "500", "--postal-rate", "0.2", "--json").stdout)
    assert (rate["postal"]["category"], rate["postal"]["total"]) == ("postal_20", 100.0)


@pytest.mark.integration
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--value", "100", "--vat", "1.3"), "VAT rate must be in [0, 1)"),
        (("--value", "-1"), "value must be 0 or more"),
        (("--value", "100", "--date", "2010-01-01"), "no tax rule set in force on 2010-01-01"),
        (
            ("--value", "100", "--postal-rate", "0.2", "--postal-category", "postal_20"),
            "give --postal-category or --postal-rate, not both",
        ),
        (("--value", "100", "--postal-category", "caviar"), "unknown postal category 'caviar'"),
    ],
)
def test_cli_bad_options_exit_2_without_traceback(args, message):
    stated = {"--postal-rate", "--postal-category"} & set(args)
    run = cbecopt(*args, *(() if stated else ("--postal-category", "food")))
    assert run.returncode == 2
    assert "Traceback" not in run.stderr + run.stdout
    assert message in run.stderr


@pytest.mark.integration
def test_cli_refuses_goods_whose_postal_class_cannot_be_told():
    run = cbecopt("--value", "100")
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert "give --postal-category" in run.stderr and "or --postal-rate" in run.stderr
