"""Report settings: validated, frozen data passed to :func:`serving.report.build_report`."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from features.measures import AGE_FEATURE


class ReportSettings(BaseModel):
    """How the comparison report is computed.

    Attributes:
        n_bootstrap: Bootstrap resamples for the interval of the AUC difference.
        seed: Seed of the bootstrap and of the cross-validation folds.
        band_width: Width of the score bands (10: 0-10, 10-20, ...).
        hot_stages: Manual stages that count as "sent to sales" (hot by rules).
        hot_tiers: Predictive tiers that count as hot by the model.
        max_listed: Leads listed per off-diagonal cell of the disagreement matrix.
        psi_bins: Quantile bins of the reference period for numeric drift columns.
        psi_watch: PSI from which a column is flagged ``watch``.
        psi_warning: PSI from which a column is flagged ``warning``.
        age_column: The lead-age feature: excluded from drift, and the other columns are
            compared at matched lead age (None compares raw distributions).
        segment_columns: Columns of ``scored`` reported per level, when present.
        cv_folds: Folds of the cross-validated AUC of the suggested points.
        l1_c: Inverse L1 strength of the logistic regression behind the suggested points.
        n_deciles: Rank bins of the gains/lift table.
        calibration_bins: Equal-width probability bins of the reliability curves.
        calibration_z: ``|z|`` of :func:`models.metrics.calibration_in_the_large` from
            which the headline warns that the final score's average probability is off
            (3: about 3 in 1,000 calibrated periods would warn by chance).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    n_bootstrap: int = Field(default=200, ge=20, le=5000)
    seed: int = 0
    band_width: float = Field(default=10.0, gt=0)
    hot_stages: tuple[str, ...] = ("mql", "sql")
    hot_tiers: tuple[str, ...] = ("A", "B")
    max_listed: int = Field(default=25, ge=1, le=1000)
    psi_bins: int = Field(default=10, ge=2, le=100)
    psi_watch: float = Field(default=0.1, gt=0)
    psi_warning: float = Field(default=0.25, gt=0)
    age_column: str | None = AGE_FEATURE
    segment_columns: tuple[str, ...] = ("lead_source", "region", "company_size_band")
    cv_folds: int = Field(default=5, ge=2, le=20)
    l1_c: float = Field(default=1.0, gt=0)
    n_deciles: int = Field(default=10, ge=2, le=100)
    calibration_bins: int = Field(default=10, ge=2, le=100)
    calibration_z: float = Field(default=3.0, gt=0)

    @model_validator(mode="after")
    def _check(self) -> ReportSettings:
        if self.psi_warning <= self.psi_watch:
            raise ValueError(
                f"report settings: psi_warning ({self.psi_warning}) must be above "
                f"psi_watch ({self.psi_watch})"
            )
        if not self.hot_stages or not self.hot_tiers:
            raise ValueError("report settings: hot_stages and hot_tiers must not be empty")
        return self
