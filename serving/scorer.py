"""``LeadScorer``: the whole scorer (feature spec, rulebook, calibrated model, blend) in one object.

Two entry points:

* :meth:`LeadScorer.score` -- canonical CRM tables and an ``as_of`` in, the scores frame
  the scorer produces (:data:`serving.sinks.SCORED_COLUMNS`) and the rejects out. Every
  contact of ``tables.contacts`` is eligible; a contact that cannot be scored is a reject
  with its reason, so ``scored + rejected == eligible``.
* :meth:`LeadScorer.score_frame` -- one flat row per contact holding the model's feature
  columns and the rules' outputs (``manual_score``; optional ``contact_id``, ``stage``,
  ``grade``, ``top_rules``), as built by :meth:`LeadScorer.prepare`. This is what the MLflow
  pyfunc's ``predict`` (and so ``mlflow.pyfunc.spark_udf``) takes: a Spark UDF receives one
  flat frame of columns, so nested activity histories cannot travel through it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypedDict, cast

import numpy as np
import pandas as pd

from features.build import build_features
from features.crm import CrmTables
from features.events import utc_timestamp
from features.first_touch import first_touch_as_of, first_touch_features
from features.infer import InferSettings, TableTypes
from features.spec import FeatureSpec
from features.typed import typed_features
from models.estimator import ConversionModel
from models.frames import align_features
from rules import Rulebook, RulebookError, parse_rulebook, score_rulebook
from rules.memory import small_pages
from serving.blend import FittedBlend
from serving.eligibility import (
    RULEBOOK_EXCLUSION,
    converted_rejects,
    customer_rejects,
    employee_rejects,
    known_tables,
    rejects_frame,
)
from serving.reason_rates import ReasonRates
from serving.reasons import make_explainer, model_reasons, rules_json
from serving.run_config import RunConfig
from serving.scorer_types import (
    RULE_COLUMNS,
    ScoredLeads,
    ScorerSettings,
    ScoringInput,
    StepHook,
    text_column,
    timed_step,
)
from serving.sinks import SCORED_COLUMNS
from serving.training_ids import TrainingIds

if TYPE_CHECKING:
    from serving.explain.explainer import FastTreeShap

log = logging.getLogger(__name__)
_FIX = (
    "score with a scorer trained on this kind of data (leadscore train --data ... "
    "--workdir DIR, then pass the same --workdir or its --model)"
)


class ReadSettings(TypedDict):
    """How a scoring path reads and validates its data (keyword arguments of
    :func:`features.ingest.load.ingest` and
    :func:`features.ingest.validation.validate_tables`)."""

    infer: InferSettings
    trained_types: dict[str, dict[str, str]] | None


def _rulebook_mapping(rulebook: Rulebook) -> dict[str, Any]:
    """The rulebook as the scorer stores it: the fields its file set, so parsing it again
    gives the same rulebook and the same verdicts (a category lint that is a warning for
    a rulebook leaving its categories to the defaults must not become an error because
    a full dump sets ``fit_categories``)."""
    return rulebook.model_dump(mode="json", by_alias=True, exclude_unset=True)


class LeadScorer:
    """Feature spec + rulebook + calibrated model + blend, scoring leads end to end.

    The spec and the rulebook are kept as their YAML mappings (what gets pickled and
    logged) and parsed again on load, so the object stays readable across versions.
    """

    def __init__(
        self,
        model: ConversionModel,
        rulebook: Rulebook,
        blend: FittedBlend,
        *,
        spec: FeatureSpec | None = None,
        settings: ScorerSettings | None = None,
        metadata: Mapping[str, str] | None = None,
        flat_types: TableTypes | None = None,
        run_config: RunConfig | None = None,
        reason_rates: ReasonRates | None = None,
        training_ids: TrainingIds | None = None,
        trained_types: dict[str, dict[str, str]] | None = None,
    ) -> None:
        """Bundle fitted parts; ``spec=None`` means a flat export (features are columns).

        ``flat_types`` are a flat export's inferred column types from training
        (:func:`features.infer.infer_table_types`): scoring types the columns the same way.
        ``run_config`` is what the training run resolved (framing, horizon, slices, ...):
        ``compare`` and the batch read the horizon from it. ``settings`` default to the
        run config's ``scorer`` settings; given, they replace them in the stored run
        config, so it always says what the scorer applies.
        ``reason_rates`` (learned on the training slice) make each model factor's text
        state its conversion rate; without them the texts name the factor only.
        ``training_ids`` (a flat export's) are the digests of the contacts the model was
        fitted or calibrated on, kept as one binary array beside the run configuration
        (:meth:`training_ids`).
        ``trained_types`` are the types validation gave the kept extra columns of the
        training tables (:func:`features.ingest.extra_types.trained_extra_types`): every
        scoring path pins them (:meth:`read_settings`).

        Raises:
            ValueError: A model feature named like a rules column, or training ids with a
                framing that holds out a later period.
        """
        clash = sorted(set(model.feature_names_) & {"contact_id", *RULE_COLUMNS})
        if clash:
            raise ValueError(f"model feature(s) {clash} clash with scorer columns; rename them")
        self.training_digests = None if training_ids is None else training_ids.digests
        self.model = model
        self.flat_types = flat_types
        self.trained_types = trained_types
        self.blend = blend
        self.reason_rates = reason_rates
        if run_config is not None:
            settings = settings or run_config.scorer
            run_config = run_config.model_copy(update={"scorer": settings})
        self.settings = settings or ScorerSettings()
        self.rulebook_mapping = _rulebook_mapping(rulebook)
        self.spec_mapping = None if spec is None else spec.model_dump(mode="json")
        self.metadata = dict(metadata or {})
        self.run_config_mapping = None if run_config is None else run_config.model_dump(mode="json")
        self._parse()
        if training_ids is not None and self.framing() != "flat":
            raise ValueError(
                f"training_ids are a flat export's; framing {self.framing()!r} holds out a "
                "later period instead"
            )

    def _parse(self) -> None:
        # validated again, but its lint warnings were shown when it was loaded: not twice
        book, problems, _ = parse_rulebook(self.rulebook_mapping)
        if problems or book is None:
            raise RulebookError(problems, "stored with the scorer")
        self.rulebook_ = book
        spec = self.spec_mapping
        self.spec_ = None if spec is None else FeatureSpec.model_validate(spec)
        config = getattr(self, "run_config_mapping", None)  # None in scorers logged before
        self.run_config_ = None if config is None else RunConfig.model_validate(config)
        self._explainer: FastTreeShap | None = None

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        for key in ("rulebook_", "spec_", "run_config_", "_explainer"):
            state.pop(key, None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._parse()

    def with_rulebook(self, rulebook: Rulebook) -> LeadScorer:
        """A copy of this scorer with another rulebook (model, spec and blend shared).

        Used to publish a new rulebook version without retraining: the rules columns,
        stages and the blend's manual part come from ``rulebook``; a model trained with
        the rule score as a feature (``include_rule_score``) reads the new total.
        """
        return self._copy_with(rulebook_mapping=_rulebook_mapping(rulebook))

    def with_settings(self, **changes: Any) -> LeadScorer:
        """A copy of this scorer whose :class:`ScorerSettings` carry ``changes``.

        Model, rulebook, spec and blend are shared; the other settings are kept, and the
        stored run configuration's scorer settings change with them (as in the
        constructor, it always says what the scorer applies). This scorer is unchanged.

        Args:
            **changes: Scorer setting name -> new value, e.g. ``shap_method="lightgbm"``.

        Raises:
            ValueError: A name that is not a scorer setting (the message names it and lists
                the known ones), or a value the setting refuses.
        """
        known = ScorerSettings.model_fields
        unknown = sorted(set(changes) - set(known))
        if unknown:
            raise ValueError(
                f"unknown scorer setting(s) {unknown}; the settings are {sorted(known)}"
            )
        settings = ScorerSettings.model_validate({**self.settings.model_dump(), **changes})
        state: dict[str, Any] = {"settings": settings}
        if self.run_config_ is not None:
            run = self.run_config_.model_copy(update={"scorer": settings})
            state["run_config_mapping"] = run.model_dump(mode="json")
        return self._copy_with(**state)

    def _copy_with(self, **state: Any) -> LeadScorer:
        """A copy of this scorer with ``state``'s attributes replaced, parsed once as a
        loaded scorer is (:meth:`__setstate__`); the explainer is shared."""
        other = type(self).__new__(type(self))
        other.__setstate__({**self.__getstate__(), **state})
        other._explainer = self._explainer
        return other

    @property
    def explainer(self) -> FastTreeShap:
        """The fast exact TreeSHAP explainer (built on first use)."""
        if self._explainer is None:
            self._explainer = make_explainer(self.model)
        return self._explainer

    def describe(self) -> dict[str, str]:
        """Versions recorded with the scorer (model, rulebook, spec, blend, framing, horizon)."""
        run = self.run_config_
        trained = {} if run is None else {"framing": run.framing, "horizon_days": run.horizon_days}
        return {
            **self.metadata,
            "rulebook_name": self.rulebook_.name,
            "rulebook_version": str(self.rulebook_.version),
            "spec_fingerprint": self.spec_.fingerprint() if self.spec_ else "flat",
            **{k: str(v) for k, v in trained.items()},
            **self.blend.describe(),
        }

    def framing(self) -> str:
        """The framing the scorer was trained with: its run configuration's, else
        ``flat`` without a feature spec and ``snapshots`` with one (scorers logged before
        run configurations were stored were all trained on snapshots)."""
        run = self.run_config_
        if run is not None:
            return run.framing
        return "flat" if self.spec_ is None else "snapshots"

    def training_ids(self) -> TrainingIds | None:
        """A flat-export scorer's fingerprint of the contacts it was fitted or calibrated
        on (read only by ``compare``); None for the other framings and for scorers
        registered before they kept one. A scorer registered when the fingerprint was
        inline in its run configuration (base64 text) has it read from there.

        Raises:
            ValueError: An inline fingerprint that cannot be read (the message says to
                retrain).
        """
        digests = getattr(self, "training_digests", None)  # absent in older scorers
        if digests is not None:
            return TrainingIds(digests)
        inline = (self.run_config_mapping or {}).get("training_ids")
        return None if inline is None else TrainingIds.from_inline(inline)

    def infer_settings(self) -> InferSettings:
        """The type inference settings the scorer was trained with (``--infer`` of
        ``train`` and ``fit-table``, stored in its run configuration; the defaults for a
        scorer stored before run configurations were): every scoring path validates its
        input with them, so a kept column is typed as it was in training."""
        run = self.run_config_
        return InferSettings() if run is None else run.infer

    def read_settings(self) -> ReadSettings:
        """What every scoring path (``score``, ``compare``, ``explain``, ``rules
        publish``) reads and validates its data with: the inference settings
        (:meth:`infer_settings`) and training's type of each kept extra column, pinned
        as a mapping's ``extra_types`` pins (a mapping pinning another type is refused).
        A scorer stored before it kept the types (None) infers them per batch."""
        trained = getattr(self, "trained_types", None)  # absent in older scorers
        return ReadSettings(infer=self.infer_settings(), trained_types=trained)

    def horizon_days(self) -> int:
        """The label horizon the scorer was trained for (from its run configuration).

        Raises:
            ValueError: A flat-export scorer (no horizon), or a scorer logged before run
                configurations were stored (retrain it).
        """
        run = self.run_config_
        if run is None:
            raise ValueError(
                "this scorer was registered before scorers stored their run configuration, "
                "so its label horizon is unknown: retrain it (leadscore train)"
            )
        if run.horizon_days is None:
            raise ValueError("this scorer was trained on a flat export: it has no label horizon")
        return run.horizon_days

    def check_history(self, *, has_activities: bool, has_contacts: bool) -> None:
        """Refuse data without any activity for a scorer trained on activity history
        (the part of :meth:`check_data` the Spark engine runs once on the whole data: one
        bucket of it may hold no activity).

        Raises:
            ValueError: Saying why and what to do.
        """
        run = self.run_config_
        had_history = run is None or run.active_share is None or run.active_share > 0
        if self.spec_ is not None and had_history and not has_activities and has_contacts:
            raise ValueError(
                "this scorer was trained on a CRM with activity history, but the data has no "
                f"activities (a flat export?): its scores would be meaningless; {_FIX}"
            )

    def check_data(self, tables: CrmTables) -> None:
        """Refuse data of another shape than the training data, before any scoring.

        A scorer trained on CRM activity history given a flat export (no activities) would
        score every lead from its fit columns alone (a scorer whose training data had no
        activity either, e.g. Olist's MQLs, may); a scorer trained on a flat export
        needs that export's columns. Either way every score would be wrong, with no error.

        Raises:
            ValueError: The data cannot be scored by this scorer; the message says why.
        """
        self.check_history(has_activities=not tables.activities.empty,
                           has_contacts=bool(len(tables.contacts)))  # fmt: skip
        if self.spec_ is None:
            if self.flat_types is None:
                raise ValueError(
                    "this flat-export scorer was registered before scorers stored the "
                    "column types of their training data: retrain it (leadscore train)"
                )
            source = self.flat_types.feature_source()
            needed = list(dict.fromkeys(source.get(f, f) for f in self.model.feature_names_))
            missing = [c for c in needed if c not in tables.contacts.columns]
            if missing:
                shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
                raise ValueError(
                    f"this scorer was trained on a flat export with columns the data lacks "
                    f"({len(missing)} of {len(needed)}: {shown}); map them "
                    f"with the mapping used in training, or {_FIX}"
                )

    def prepare(
        self,
        tables: CrmTables,
        as_of: str | pd.Timestamp,
        *,
        previous: pd.DataFrame | None = None,
        on_step: StepHook | None = None,
        keep_excluded: bool = False,
        checked: bool = False,
        only: pd.Index | None = None,
    ) -> ScoringInput:
        """Eligibility, rules and features: the flat frame :meth:`score_frame` takes.

        Args:
            tables: Validated canonical CRM tables.
            as_of: Scoring time (naive = UTC); only data before it is read.
            previous: The prior run's ``contact_id, stage, as_of`` (stages never move back).
            on_step: Called with each step's name as it starts (progress bars).
            keep_excluded: Score the contacts the rulebook excludes too, instead of
                rejecting them (``ScorerSettings.reject_exclusions``), and the contacts at
                customer accounts (``ScorerSettings.reject_customers``) and our employees
                (``ScorerSettings.reject_employees``). For evaluating a
                period: its leads are the ones training labels there
                (:func:`features.training_set.outcome_labels`), whatever a rulebook's
                exclusions say, so that the period matches the training run's slice.
            checked: The caller ran :meth:`check_data` on the whole data already (the
                Spark engine: one bucket of it may hold no activity).
            only: Prepare these contacts only; the others in ``tables`` are context (account
                colleagues for the account features and the rules), neither in the frame
                nor rejected. ``compare`` of a ``first_touch`` scorer passes each
                first-touch day's contacts: a colleague's features would be built at its
                own first touch, one feature build per colleague's day, then thrown away.

        Returns:
            The frame (``contact_id``, model features, rules columns), rejects and timings.
        """
        ts = utc_timestamp(as_of)
        if not checked:
            self.check_data(tables)
        seconds: dict[str, float] = {}
        with timed_step(seconds, "eligibility", on_step):
            known, early = known_tables(tables, ts)
            contacts = known.contacts
        with timed_step(seconds, "rules", on_step):
            rules = score_rulebook(known, self.rulebook_, ts, previous)
            with small_pages():  # passes over the whole breakdown: see rules.memory
                top_rules, *_ = rules_json(
                    rules.breakdown,
                    len(rules.scores),
                    self.rulebook_.primary_scale,
                    self.settings.top_k,
                )
        with timed_step(seconds, "features", on_step):
            if self.spec_ is None:
                indexed = contacts.set_index("contact_id")
                X = typed_features(indexed, cast(TableTypes, self.flat_types))
                X = X[self.model.feature_names_]
            else:
                totals = pd.Series(rules.scores["total"].to_numpy(), index=contacts["contact_id"])
                X = self._features(self.spec_, known, ts, totals, only)
        scores = rules.scores
        if only is not None:
            wanted = pd.Index(only).astype("str")
            sel = scores["contact_id"].astype("str").isin(wanted).to_numpy()
            scores, top_rules = scores.loc[sel].reset_index(drop=True), top_rules[sel]
            early = early.loc[early["contact_id"].astype("str").isin(wanted)]
        ids = scores["contact_id"].astype("str")
        if not X.index.astype("str").equals(pd.Index(ids)):  # same order by construction
            X = X.set_axis(X.index.astype("str")).loc[ids.to_numpy()]
        converted = (
            converted_rejects(ids, tables.outcomes, ts)
            if self.settings.reject_converted
            else rejects_frame()
        )
        not_leads = ids.isin(converted["contact_id"]).to_numpy()
        customers = (  # whatever the rulebook says, as training (snapshots) left them out
            customer_rejects(known, ids.loc[~not_leads], ts)
            if self.settings.reject_customers
            and not keep_excluded
            and self.framing() == "snapshots"
            else rejects_frame()
        )
        not_leads = not_leads | ids.isin(customers["contact_id"]).to_numpy()  # one reason each
        employees = (  # whatever the rulebook says, as both framings left them out
            employee_rejects(known.contacts, ids.loc[~not_leads])
            if self.settings.reject_employees and not keep_excluded and self.framing() != "flat"
            else rejects_frame()
        )
        not_leads = not_leads | ids.isin(employees["contact_id"]).to_numpy()
        excluded = scores["excluded_reason"].astype("object")
        rejected = () if keep_excluded else self.settings.reject_exclusions
        drop = excluded.isin(rejected).to_numpy() & ~not_leads
        stage = scores["stage"].astype("object")
        frame = X.reset_index(drop=True).assign(
            contact_id=ids.to_numpy(),
            manual_score=scores["total"].to_numpy(dtype="float64"),
            stage=stage.where(stage.notna(), self.settings.default_stage).to_numpy(),
            grade=scores["grade"].astype("object").to_numpy(),
            top_rules=top_rules.array,
        )
        rejects = rejects_frame(
            early, converted, customers, employees, ids[drop], RULEBOOK_EXCLUSION + excluded[drop]
        )
        drop |= not_leads
        if drop.any():  # copying a million-row frame only when someone is dropped
            frame = frame.loc[~drop].reset_index(drop=True)
        return ScoringInput(
            frame,
            rejects,
            (
                tables.contacts["contact_id"].astype("str").reset_index(drop=True)
                if only is None
                else ids.reset_index(drop=True)
            ),
            rules,
            ts,
            seconds,
        )

    def _features(
        self,
        spec: FeatureSpec,
        known: CrmTables,
        ts: pd.Timestamp,
        totals: pd.Series,
        only: pd.Index | None = None,
    ) -> pd.DataFrame:
        """Features as in training: at ``ts`` (snapshots), or, for a ``first_touch`` model,
        at each lead's first touch (creation day's midnight + delay; ``ts`` if sooner), of
        the contacts ``only`` when given (:meth:`prepare`), with the scorer's ``spec``."""
        if self.framing() != "first_touch":
            return build_features(known, ts, spec, rule_scores=totals)
        run = cast(RunConfig, self.run_config_)  # first_touch comes from a run configuration
        created = known.contacts["created_at"]
        at = first_touch_as_of(created, run.train.first_touch_delay_days).clip(upper=ts)
        touch = pd.Series(at.to_numpy(), index=known.contacts["contact_id"].astype("object"))
        if only is not None:  # none of them known at ts: the frame is empty either way
            wanted = touch.index.astype("str").isin(pd.Index(only).astype("str"))
            touch = touch.loc[wanted] if wanted.any() else touch
        return first_touch_features(known, touch, spec, rule_scores=lambda sub, day: totals)

    def score_frame(
        self,
        frame: pd.DataFrame,
        *,
        explain: bool = True,
        on_step: StepHook | None = None,
        seconds: dict[str, float] | None = None,
    ) -> pd.DataFrame:
        """Probability, final score, tier and model reasons for prepared rows.

        Args:
            frame: One row per contact: the model's feature columns (categories as pandas
                ``category`` or strings), ``manual_score`` and optionally ``contact_id``,
                ``stage``, ``grade``, ``top_rules``.
            explain: Compute ``top_reasons`` (exact TreeSHAP); False leaves ``[]``.
            on_step: Called with each step's name as it starts.
            seconds: Dict that receives seconds per step.

        Returns:
            ``contact_id`` (when given) and :data:`OUTPUT_COLUMNS`, positional like ``frame``.

        Raises:
            ValueError: A feature column or ``manual_score`` is missing or unusable.
        """
        seconds = {} if seconds is None else seconds
        if "manual_score" not in frame.columns:
            raise ValueError("scoring frame lacks 'manual_score': build it with prepare()")
        n = len(frame)
        with timed_step(seconds, "model", on_step):
            model = self.model
            X = align_features(frame, model.feature_names_, model.categories_, "scoring frame")
            # the booster directly: predict_raw would align (copy) the features again
            margin = np.asarray(
                model.booster_.predict(X, raw_score=True, num_iteration=model.best_iteration_)
            )
            probability = model.probability_from_margin(margin)
        with timed_step(seconds, "blend", on_step):
            manual = frame["manual_score"].to_numpy(dtype="float64", na_value=np.nan)
            final = np.clip(self.blend.final_score(probability, manual), 0, 100)
            grade = text_column(frame, "grade", n, None)
            tier = self.blend.tier(final)
            if self.settings.tier_from == "grade":
                tier = np.where(grade.notna(), grade.astype(object), tier)
        with timed_step(seconds, "explanations", on_step):
            if explain:
                method = self.settings.shap_method
                reasons = model_reasons(
                    model,
                    X,
                    self.settings.top_k,
                    self.spec_,
                    method=method,
                    explainer=self.explainer if method == "fast" else None,
                    k_down=self.settings.top_k_down,
                    rates=getattr(self, "reason_rates", None),
                )
            else:
                reasons = pd.Series(["[]"] * n, dtype="str")
        out = {
            "final_score": final,
            "tier": pd.Series(tier, dtype="str").to_numpy(),
            "stage": text_column(frame, "stage", n, self.settings.default_stage).array,
            "probability": probability,
            "manual_score": np.nan_to_num(manual, nan=0.0),
            "grade": grade.array,
            "top_reasons": reasons.array,
            "top_rules": text_column(frame, "top_rules", n, "[]").array,
            "margin": margin,
        }
        if "contact_id" in frame.columns:
            out = {"contact_id": frame["contact_id"].astype("str").to_numpy(), **out}
        return pd.DataFrame(out)

    def score(
        self,
        tables: CrmTables,
        as_of: str | pd.Timestamp,
        *,
        previous: pd.DataFrame | None = None,
        explain: bool = True,
        keep_rules: bool = False,
        on_step: StepHook | None = None,
    ) -> ScoredLeads:
        """Score every contact of ``tables`` as of ``as_of`` (see the module docstring); the
        other arguments as for :meth:`prepare`.

        Args:
            explain: Store the top model factors (fast exact TreeSHAP).
            keep_rules: Keep the rulebook result (long breakdown; large) in the output.

        Returns:
            Scores in the sink contract, rejects, eligible ids, margins and timings.
        """
        prepared = self.prepare(tables, as_of, previous=previous, on_step=on_step)
        accounts = None if prepared.rules is None else prepared.rules.accounts
        rules = prepared.rules if keep_rules else None
        prepared = replace(prepared, rules=None)  # frees the breakdown before the model runs
        seconds = dict(prepared.seconds)
        out = self.score_frame(prepared.frame, explain=explain, on_step=on_step, seconds=seconds)
        scores = out.assign(as_of=pd.Series(prepared.as_of, index=out.index))
        scores["contact_id"] = scores["contact_id"].astype("str")
        log.info(
            "scored %d leads as of %s, rejected %d",
            len(scores),
            prepared.as_of.isoformat(),
            len(prepared.rejects),
        )
        return ScoredLeads(
            scores.loc[:, list(SCORED_COLUMNS)],
            prepared.rejects,
            prepared.eligible_ids,
            out["margin"].to_numpy(),
            rules,
            prepared.as_of,
            seconds,
            accounts,
        )
