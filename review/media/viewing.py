"""How media is shown: one settings object for blur, grayscale, detail and reveal.

The organisation (a lead) sets a floor; a person may choose stricter
settings, never weaker ones. ``effective`` applies that rule field by field,
so a weak personal preference cannot slip through a new code path; and a
personal wish weaker than the floor is refused when it is saved
(:func:`weaker_parts` names what is weaker), so what a person chose is
what they get.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

from review import settings
from review.media.preview import BLUR_LEVELS, DEFAULT_BLUR_LEVEL
from review.store import Store, User

MAX_REBLUR_S = 120.0  # the longest a continuous reveal may last before it re-blurs by itself (a safety bound)


@dataclass(frozen=True)
class ViewSettings:
    blur_level: int = DEFAULT_BLUR_LEVEL  # 0 (off) … 6; see review.media.preview.BLUR_LEVELS
    grayscale: bool = True
    reduced_detail: bool = False  # stylised, edge-preserving rendering
    auto_reblur_s: float = 10.0  # a continuous reveal ends by itself after this long

    def __post_init__(self) -> None:
        """Refuse what would break a picture or keep a reveal open: exact types, the blur levels, a finite re-blur.

        Stored JSON reaches here (settings, presets), so 4.5, ``true``,
        ``"no"``, NaN or a day are refused, never coerced.
        """
        top = len(BLUR_LEVELS) - 1
        if type(self.blur_level) is not int or not 0 <= self.blur_level <= top:
            raise ValueError(f"blur level must be a whole number 0…{top}, not {self.blur_level!r}")
        for name in ("grayscale", "reduced_detail"):
            if type(getattr(self, name)) is not bool:
                raise ValueError(f"{name} must be true or false, not {getattr(self, name)!r}")
        seconds = self.auto_reblur_s
        if (isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not math.isfinite(seconds)
                or not 0 < seconds <= MAX_REBLUR_S):
            raise ValueError(f"auto re-blur must be more than 0 and at most {MAX_REBLUR_S:g} seconds, "
                             f"not {seconds!r}")

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


def weaker_parts(floor: ViewSettings, wish: dict[str, Any]) -> list[str]:
    """Each part of *wish* (stored JSON, possibly partial) that is weaker than *floor*, in words."""
    parts = []
    if "blur_level" in wish and wish["blur_level"] < floor.blur_level:
        parts.append(f"blur level {wish['blur_level']} is below the organisation's {floor.blur_level}")
    if floor.grayscale and wish.get("grayscale") is False:
        parts.append("the organisation shows media in greyscale")
    if floor.reduced_detail and wish.get("reduced_detail") is False:
        parts.append("the organisation shows media in reduced detail")
    if "auto_reblur_s" in wish and wish["auto_reblur_s"] > floor.auto_reblur_s:
        parts.append(f"re-blur after {wish['auto_reblur_s']:g} s is longer than the organisation's "
                     f"{floor.auto_reblur_s:g} s")
    return parts


def _valid(data: dict[str, Any]) -> dict[str, Any]:
    ViewSettings.from_dict(data)  # refuses bad values
    return data


def _not_weaker_than_the_floor(store: Store, wish: dict[str, Any]) -> None:
    weaker = weaker_parts(organisation(store), wish)
    if weaker:
        raise settings.SettingError(
            "your viewing settings may be stricter than the organisation's, never weaker: " + "; ".join(weaker))


ORGANISATION_VIEW = settings.declare(
    "view", settings.ORGANISATION, dict, {}, changed_by="lead", check=_valid,
    describe=(
        "The organisation's viewing floor (blur level, grey, reduced detail, auto re-blur): nobody sees less veiled."
    ),
)
PERSONAL_VIEW = settings.declare(
    "view", settings.PERSON, dict, {}, changed_by=settings.SELF, check=_valid,
    check_store=_not_weaker_than_the_floor,
    describe="A person's own viewing wishes: stricter than the organisation's floor, never weaker (refused).",
)


def organisation(store: Store) -> ViewSettings:
    return ViewSettings.from_dict(settings.read(store, ORGANISATION_VIEW))


def effective(store: Store, user: User) -> ViewSettings:
    floor = organisation(store)
    personal = settings.read(store, PERSONAL_VIEW, user=user)
    return stricter(floor, ViewSettings.from_dict({**asdict(floor), **personal}))


def save_personal(store: Store, user: User, wish: ViewSettings) -> ViewSettings:
    """Store a person's preference and return what will apply; SettingError if it is weaker than the floor."""
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
        if not isinstance(preset, dict):
            raise ValueError(f"the preset for {severity} is {{setting: value}}, not {preset!r}")
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
    "ViewSettings", "stricter", "weaker_parts", "effective", "organisation", "save_personal", "save_organisation",
    "severity_presets", "for_severity", "save_severity_presets", "DEFAULT_SEVERITY_PRESETS", "MAX_REBLUR_S",
]
