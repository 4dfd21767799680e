"""Synthetic CRM data with a known truth: realistic tables for tests, demos and benchmarks.

``generate_crm`` builds the four canonical tables (:mod:`features.schema`) for any number
of contacts, with planted dirt and the hidden conversion probability of every contact;
``write_crm`` writes them to a folder with the truth kept apart. The generative story is
told in :mod:`features.synthetic.generate`.
"""

from features.synthetic.config import GENERATOR_VERSION, DirtConfig, SyntheticCrm
from features.synthetic.generate import generate_crm
from features.synthetic.writer import write_crm

__all__ = ["GENERATOR_VERSION", "DirtConfig", "SyntheticCrm", "generate_crm", "write_crm"]
