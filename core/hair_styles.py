"""The hairstyle library: named presets of guide strands on the scalp (core.hair_strands'
Style), with a parting and a fringe that combine with any of them, and the style a report's
measured hair attributes point to."""
import dataclasses

from . import hair_strands
from .hair_strands import Style

PARTINGS = ("none", "left", "centre", "right")
FRINGES = {"none": 0.0, "some": 0.5, "full": 0.9}        # share of the forehead covered
CURL_CLASSES = tuple(hair_strands.CURLS)

# name -> Style fields (besides parting, fringe and seed)
LIBRARY = {
    "bald": dict(length="none"),
    "buzz": dict(length="above the ears", short_m=hair_strands.BUZZ_M, volume_m=hair_strands.BUZZ_VOLUME_M),
    "short crop": dict(length="above the ears", short_m=0.035, volume_m=0.008),
    "receding": dict(length="above the ears", short_m=0.03, volume_m=0.006, receding=1.0),
    "pixie": dict(length="above the ears", short_m=0.075, volume_m=0.012),
    "afro": dict(length="above the ears", short_m=0.09, volume_m=0.05, outward=1.0, curl="coily"),
    "bob": dict(length="to the chin", volume_m=0.015),
    "shoulder": dict(length="to the shoulders", volume_m=0.012),
    "curly": dict(length="to the shoulders", hem_m=0.06, volume_m=0.03, curl="curly"),
    "ponytail": dict(length="to the shoulders", volume_m=0.005, tie="ponytail"),
    "bun": dict(length="longer", volume_m=0.005, tie="bun"),
    "long straight": dict(length="longer", volume_m=0.01),
    "long wavy": dict(length="longer", volume_m=0.018, curl="wavy"),
}
NAMES = tuple(LIBRARY)


def style(name, parting="none", fringe="none", seed=0):
    """The library's style ``name`` with a ``parting`` (PARTINGS) and a ``fringe`` (FRINGES'
    keys, or a share of the forehead)."""
    if name not in LIBRARY:
        raise ValueError(f"no hairstyle called {name!r} (one of {', '.join(NAMES)})")
    share = FRINGES[fringe] if isinstance(fringe, str) else float(fringe)
    return Style(name=name, parting=parting, fringe=share, seed=seed, **LIBRARY[name])


def fringe_name(share):
    """The FRINGES key nearest a measured share of the forehead."""
    return min(FRINGES, key=lambda k: abs(FRINGES[k] - share))


def describe(chosen):
    """(name, parting, fringe name) of a library style: what the panel offers."""
    return chosen.name or "short crop", chosen.parting, fringe_name(chosen.fringe)


def curl_of(report):
    """The report's curl class ("straight" when not measured)."""
    curl = (report or {}).get("curl", "straight")
    return curl if curl in CURL_CLASSES else "straight"


def from_report(report, seed=0):
    """The library's style nearest a report's ``hair`` entry by its attributes alone (no
    silhouette), with the measured parting, fringe and volume: bald, a buzz cut for a shaved
    head, else by the length class and the curl."""
    if report is None or report["bald"] or report["length"] == "none":
        return style("bald", seed=seed)
    if report["shaved"]:
        return style("buzz", seed=seed)
    curl = curl_of(report)
    name = {"above the ears": "afro" if curl == "coily" and report["volume_cm"] > 3 else "short crop",
            "to the chin": "curly" if curl in ("curly", "coily") else "bob",
            "to the shoulders": "curly" if curl in ("curly", "coily") else "shoulder",
            "longer": "long wavy" if curl != "straight" else "long straight"}[report["length"]]
    return measured(style(name, seed=seed), report)


def measured(chosen, report):
    """``chosen`` with the report's parting and fringe (a buzz cut, a bald head and a tied style
    keep their own volume; others take the measured one when it is larger)."""
    volume = chosen.volume_m
    if chosen.name not in ("buzz", "bald", "receding") and chosen.tie == "none":
        volume = max(volume, max(report.get("volume_cm", 0.0), 0.0) / 100.0)
    return dataclasses.replace(chosen, parting=report.get("parting", "none"), fringe=float(report.get("fringe", 0.0)),
                               volume_m=volume)
