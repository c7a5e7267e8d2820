"""How media is shown: one settings object for blur, grayscale, detail and reveal.

The organisation (a lead) sets a floor; a person may choose stricter
settings, never weaker ones. ``effective`` applies that rule field by field,
so a weak personal preference cannot slip through a new code path.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from review import settings
from review.media.preview import BLUR_LEVELS, DEFAULT_BLUR_LEVEL
from review.store import Store, User


@dataclass(frozen=True)
class ViewSettings:
    blur_level: int = DEFAULT_BLUR_LEVEL  # 0 (off) … 6; see review.media.preview.BLUR_LEVELS
    grayscale: bool = True
    reduced_detail: bool = False  # stylised, edge-preserving rendering
    auto_reblur_s: float = 10.0  # a continuous reveal ends by itself after this long

    def __post_init__(self) -> None:
        if not 0 <= self.blur_level < len(BLUR_LEVELS):
            raise ValueError(f"blur level must be 0…{len(BLUR_LEVELS) - 1}")
        if self.auto_reblur_s <= 0:
            raise ValueError("auto re-blur must be a positive number of seconds")

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> ViewSettings:
        """Build from stored JSON, ignoring unknown keys and rejecting bad values."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in (data or {}).items() if k in known})


def stricter(floor: ViewSettings, wish: ViewSettings) -> ViewSettings:
    """The personal *wish*, raised wherever it is weaker than the *floor*."""
    return ViewSettings(
        blur_level=max(floor.blur_level, wish.blur_level),
        grayscale=floor.grayscale or wish.grayscale,
        reduced_detail=floor.reduced_detail or wish.reduced_detail,
        auto_reblur_s=min(floor.auto_reblur_s, wish.auto_reblur_s),
    )


def _valid(data: dict[str, Any]) -> dict[str, Any]:
    ViewSettings.from_dict(data)  # refuses bad values
    return data


ORGANISATION_VIEW = settings.declare(
    "view", settings.ORGANISATION, dict, {}, changed_by="lead", check=_valid,
    describe=(
        "The organisation's viewing floor (blur level, grey, reduced detail, auto re-blur): nobody sees less veiled."
    ),
)
PERSONAL_VIEW = settings.declare(
    "view", settings.PERSON, dict, {}, changed_by=settings.SELF, check=_valid,
    describe="A person's own viewing wishes; only the parts stricter than the organisation's floor apply.",
)


def organisation(store: Store) -> ViewSettings:
    return ViewSettings.from_dict(settings.read(store, ORGANISATION_VIEW))


def effective(store: Store, user: User) -> ViewSettings:
    floor = organisation(store)
    personal = settings.read(store, PERSONAL_VIEW, user=user)
    return stricter(floor, ViewSettings.from_dict({**asdict(floor), **personal}))


def save_personal(store: Store, user: User, wish: ViewSettings) -> ViewSettings:
    """Store a person's preference (as given) and return what will apply."""
    settings.write(store, user, PERSONAL_VIEW, asdict(wish))
    return effective(store, user)


def save_organisation(store: Store, lead: User, floor: ViewSettings) -> None:
    settings.write(store, lead, ORGANISATION_VIEW, asdict(floor))


# ------------------------------------------------------ per-severity presets
# A preset is a partial ViewSettings applied on top of what a person would
# otherwise see, through ``stricter``: it can only add protection. The
# organisation sets them (a lead); absent a setting these defaults apply.
PRESET_SEVERITIES = ("low", "medium", "high", "severe")
DEFAULT_SEVERITY_PRESETS: dict[str, dict[str, Any]] = {
    "severe": {
        "blur_level": min(DEFAULT_BLUR_LEVEL + 1, len(BLUR_LEVELS) - 1), "grayscale": True, "auto_reblur_s": 5.0,
    },
}


def _check_presets(presets: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    known = {f.name for f in fields(ViewSettings)}
    checked: dict[str, dict[str, Any]] = {}
    for severity, preset in (presets or {}).items():
        if severity not in PRESET_SEVERITIES:
            raise ValueError(f"unknown severity {severity!r} (one of {', '.join(PRESET_SEVERITIES)})")
        unknown = set(preset) - known
        if unknown:
            raise ValueError(f"unknown viewing setting(s) for {severity}: {', '.join(sorted(unknown))}")
        ViewSettings.from_dict(preset)  # refuses bad values
        checked[severity] = dict(preset)
    return checked


SEVERITY_PRESETS = settings.declare(
    "view.severity", settings.ORGANISATION, dict, None, changed_by="lead", check=_check_presets,
    describe="Stricter viewing per item severity (e.g. severe: more blur, grey, a shorter reveal).",
)


def severity_presets(store: Store) -> dict[str, dict[str, Any]]:
    """The organisation's per-severity presets (the defaults if a lead set none)."""
    stored = settings.read(store, SEVERITY_PRESETS)
    return _check_presets(stored) if stored is not None else {k: dict(v) for k, v in DEFAULT_SEVERITY_PRESETS.items()}


def for_severity(
    base: ViewSettings, severity: str | None, presets: dict[str, dict[str, Any]] | None = None
) -> ViewSettings:
    """What to apply to an item of *severity*: *base*, made stricter by that severity's preset."""
    presets = DEFAULT_SEVERITY_PRESETS if presets is None else presets
    preset = presets.get(severity or "")
    if not preset:
        return base
    return stricter(base, ViewSettings.from_dict({**asdict(base), **preset}))


def save_severity_presets(store: Store, lead: User, presets: dict[str, dict[str, Any]]) -> None:
    settings.write(store, lead, SEVERITY_PRESETS, presets)


__all__ = [
    "ViewSettings", "stricter", "effective", "organisation", "save_personal", "save_organisation",
    "severity_presets", "for_severity", "save_severity_presets", "DEFAULT_SEVERITY_PRESETS",
]
