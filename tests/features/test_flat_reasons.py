"""Readable reasons from SHAP contributions for flat-table features."""

import numpy as np
import pandas as pd

from features.flat_reasons import mean_abs_contribution, top_reasons, training_quartiles


def test_top_reasons_text_sign_and_order():
    X = pd.DataFrame(
        {
            "Time": [1532.0, 0.0, np.nan, 12345678.5],
            "Src": pd.Categorical(["a", None, "b", "a"]),
            "Flag": [1.0, 0.0, 1.0, np.nan],
        }
    )
    phi = np.array([[1.0, -0.5, 0.2, 9], [-0.3, 0.1, 0, 9], [0, 0, 0, 9], [0.5, 0.4, -0.1, 9]])
    out = top_reasons(
        X, phi, kinds={"Src": "category", "Flag": "boolean"}, quartiles={"Time": (10, 2000)}, k=2
    )
    assert out.loc[0, ["reason_up_1", "reason_up_2", "reason_down_1"]].tolist() == [
        "Time = 1,532",
        "Flag = yes",
        "Src = a",
    ]
    assert out.loc[0, "reason_down_2"] == "" and out.loc[0, "reason_down_2_shap"] == 0.0
    assert out.loc[1, ["reason_up_1", "reason_down_1"]].tolist() == [
        "Src is blank",
        "Time = 0 (low)",
    ]
    assert (out.loc[2, ["reason_up_1", "reason_down_1"]] == "").all()
    assert out.loc[3, "reason_up_1"] == "Time = 12,345,678.5 (high)"
    assert out.loc[3, "reason_down_1"] == "Flag is blank"
    assert out.loc[3, "reason_up_2_shap"] == 0.4


def test_quartiles_and_mean_abs():
    X = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0, 5.0], "b": pd.Categorical(list("xyxyx"))})
    assert training_quartiles(X) == {"a": (2.0, 4.0)}
    phi = np.array([[1.0, -3.0, 0.0]] * 5)
    assert mean_abs_contribution(X, phi)["feature"].tolist() == ["b", "a"]
