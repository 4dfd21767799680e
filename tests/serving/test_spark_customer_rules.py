"""Spark's rule scores read the same customer dating as the local scorer's.

``LeadScorer.prepare`` scores the rulebook on the known contacts reading the whole tables'
``customer_since`` (:func:`features.customers.share_customer_since`);
``serving.spark.features.local_features`` (``build_features_spark`` with the rule score)
computes it from a bucket's known contacts. Both date an account the same way: a bucket
holds whole accounts, and a won deal never comes before its contact's creation, so the
known contacts hold every deal won before ``as_of``. The tiny CRM of
``test_scorer_customers`` pins it on the case that could differ: account W, which the
export does not flag, won a deal before ``as_of`` (a churned or unflagged customer).
"""

import pytest
from rulebook_dicts import customer_rulebook
from test_scorer_customers import AS_OF, _crm, _scorer, model  # noqa: F401 (fixture)

from features.spec import load_feature_spec
from rules import rulebook_from_dict

pytestmark = [pytest.mark.spark, pytest.mark.slow]

BOOK = customer_rulebook(
    {
        "name": "at_customer",
        "category": "fit",
        "points": 10,
        "when": {"var": "account.is_customer", "op": "is_true"},
    }
)
# by hand at 04-01: F is flagged (f1), W won on 02-01 unflagged (w1 and its colleague w2);
# L wins after as_of, P is plain, n1 has no account
TOTALS = {"f1": 10.0, "w1": 10.0, "w2": 10.0, "l1": 0.0, "p1": 0.0, "e1": 0.0, "n1": 0.0}


@pytest.mark.parametrize("n_buckets", [1, 3])
def test_spark_rule_scores_on_account_is_customer_are_the_local_scorers(
    spark,
    model,  # noqa: F811 (the fixture imported above)
    n_buckets,
):
    from serving.spark import build_features_spark, features_to_pandas
    from serving.spark.tables import spark_tables_from_pandas

    book = rulebook_from_dict(BOOK)
    scorer = _scorer(model, "snapshots", book)
    rules = scorer.prepare(_crm(), AS_OF, keep_excluded=True).rules
    assert rules is not None
    local = dict(zip(rules.scores["contact_id"], rules.scores["total"], strict=True))
    assert local == TOTALS

    spec = load_feature_spec().model_copy(update={"include_rule_score": True})
    tables = spark_tables_from_pandas(spark, _crm(), spec, book)
    df = build_features_spark(tables, AS_OF, spec, n_buckets=n_buckets, rulebook=book)
    assert features_to_pandas(df, spec, book)["rule_score"].to_dict() == local
