"""The demo district: a deterministic, fictitious organisation tree and member roster."""

from core.demo.generator import DemoPlan, DemoSpec, NodePlan, PersonPlan, StreetSpec, generate, load_spec

__all__ = ["DemoPlan", "DemoSpec", "NodePlan", "PersonPlan", "StreetSpec", "generate", "load_spec"]
