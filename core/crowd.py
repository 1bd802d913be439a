"""Crowds: which characters a job makes, and the random identities of variants.

A crowd job is a list of characters in a fixed order: one per photo of a folder
(sorted by file name), then ``variants`` random characters, or variants around
one photo's identity. Character ``i`` draws everything from its own random
stream, seeded by ``(seed, i)``, so the same seed gives the same crowd whatever
the crowd's size and however a render farm splits it into shards.
"""
import dataclasses
import functools
import os

import numpy as np

from . import head_model, image_io
from .errors import LikenessError

ADULT_AGE_YEARS = (18.0, 80.0)     # morphological ages of random characters
LOCAL_CHANGE_SD = 0.22             # spread of random head local changes (anny's range is -1..1)
AROUND_PHENOTYPE_SD = 0.04         # spreads of variants around a photo's identity
AROUND_LOCAL_CHANGE_SD = 0.12
ASYMMETRY_SD = 0.03                # left and right differ by this much
# Local changes that only shift a feature sideways or tilt the head: not for random faces.
SKIPPED_CHANGES = ("trans-out", "head-angle-out")

# Skin tones from light to deep (sRGB); a character's tone lies between two neighbours.
SKIN_TONES_SRGB = np.array([(0.96, 0.80, 0.70), (0.90, 0.70, 0.58), (0.80, 0.59, 0.46),
                            (0.66, 0.46, 0.33), (0.48, 0.32, 0.22), (0.32, 0.21, 0.15)])
# Iris colours (sRGB) and how common they are, for light and for deep skin tones.
IRIS_SRGB = {"brown": (0.30, 0.17, 0.08), "dark brown": (0.16, 0.09, 0.05), "hazel": (0.45, 0.35, 0.17),
             "green": (0.33, 0.42, 0.26), "blue": (0.36, 0.50, 0.66), "grey": (0.50, 0.53, 0.55)}
IRIS_ODDS_LIGHT = {"brown": 0.3, "dark brown": 0.1, "hazel": 0.15, "green": 0.1, "blue": 0.25, "grey": 0.1}
IRIS_ODDS_DEEP = {"brown": 0.45, "dark brown": 0.5, "hazel": 0.05, "green": 0.0, "blue": 0.0, "grey": 0.0}
# Hair colours (sRGB) and odds; grey and white become likelier with age.
HAIR_SRGB = {"black": (0.06, 0.05, 0.05), "dark brown": (0.17, 0.11, 0.07), "brown": (0.32, 0.21, 0.13),
             "light brown": (0.50, 0.36, 0.23), "blonde": (0.78, 0.64, 0.42), "red": (0.55, 0.25, 0.12),
             "grey": (0.55, 0.54, 0.52), "white": (0.85, 0.84, 0.82)}
HAIR_ODDS_LIGHT = {"black": 0.1, "dark brown": 0.3, "brown": 0.25, "light brown": 0.15, "blonde": 0.15,
                   "red": 0.05, "grey": 0.0, "white": 0.0}
HAIR_ODDS_DEEP = {"black": 0.75, "dark brown": 0.25, "brown": 0.0, "light brown": 0.0, "blonde": 0.0,
                  "red": 0.0, "grey": 0.0, "white": 0.0}
LENGTH_ODDS = {"female": {"none": 0.02, "above the ears": 0.13, "to the chin": 0.25, "to the shoulders": 0.35,
                          "longer": 0.25},
               "male": {"none": 0.12, "above the ears": 0.68, "to the chin": 0.12, "to the shoulders": 0.06,
                        "longer": 0.02}}


@dataclasses.dataclass(frozen=True)
class Character:
    """One character of a crowd job. ``index`` is its place in the whole job (stable across
    shards); ``photo`` is its photo, or for a variant around a photo that photo; ``variant``
    is False for a character made as photographed."""
    index: int
    name: str
    photo: str = None
    variant: bool = False

    def to_dict(self):
        return dataclasses.asdict(self)


def photos_in(folder):
    """The photos of ``folder`` by file name (other files are not photos: see ``not_photos``)."""
    if not os.path.isdir(folder):
        raise LikenessError(f"The photo folder does not exist: {folder}")
    return image_io.images_in(folder)


def not_photos(folder):
    """The other files of ``folder`` (hidden ones aside), each with why it is left out, for
    the crowd's summary: [{"file", "error"}]."""
    photos = set(photos_in(folder))
    return [{"file": path, "error": f"not a photo Likeness reads ({os.path.splitext(path)[1] or 'no extension'}): "
                                    f"use {', '.join(s.lstrip('.').upper() for s in image_io.IMAGE_SUFFIXES)}"}
            for path in (os.path.join(folder, n) for n in sorted(os.listdir(folder)) if not n.startswith("."))
            if os.path.isfile(path) and path not in photos]


def plan(photos=(), variants=0, around=None):
    """The job's characters: one per photo, then ``variants`` variants (random characters,
    or variants of the photo ``around``)."""
    if variants < 0:
        raise LikenessError("The number of variants cannot be negative.")
    chars = [Character(i, _name(p), p) for i, p in enumerate(photos)]
    base = _name(around) + "_" if around else "variant_"
    for k in range(variants):
        chars.append(Character(len(chars), f"{base}{k + 1:03d}", around, True))
    if not chars:
        raise LikenessError("Nothing to make: give a folder with photos or a number of variants.")
    return chars


def _name(path):
    stem = os.path.splitext(os.path.basename(path))[0]
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in stem) or "photo"


def parse_shard(text):
    """``"i/N"`` (i counted from 1) -> (i, N)."""
    try:
        i, n = (int(v) for v in text.split("/"))
    except ValueError:
        raise LikenessError(f"A shard is written i/N, e.g. 2/8, not {text!r}.") from None
    if not 1 <= i <= n:
        raise LikenessError(f"Shard {text}: i must lie between 1 and N.")
    return i, n


def shard(chars, i, n):
    """The characters of shard ``i`` of ``n`` (1-based): every n-th, so shards are equal
    in size to within one and mix photos and variants alike."""
    return [c for c in chars if c.index % n == i - 1]


def rng_for(seed, index):
    """Character ``index``'s own random stream under the crowd ``seed``."""
    return np.random.default_rng(np.random.SeedSequence([int(seed) & 0xFFFFFFFF, int(index)]))


BODY_SUFFIX = "_body"          # a full body's result folder: beside its head's
MAX_LOCAL_WORKERS = 4          # a crowd's worker processes on one machine (each holds about 1 GB)


def local_workers(cores=None):
    """How many worker processes make a crowd's characters side by side on this machine: one per
    core (Blender's scene build shares them), at most MAX_LOCAL_WORKERS."""
    return max(1, min(MAX_LOCAL_WORKERS, cores or os.cpu_count() or 1))


def body_seed(seed, index):
    """The seed of character ``index``'s full body (its outfit), on one machine or a cluster."""
    return int(rng_for(seed, index).integers(2 ** 31))


@dataclasses.dataclass
class Identity:
    """A variant's look: anny's parameters and the colours its texture and hair are painted in."""
    phenotype: np.ndarray          # (6,) anny phenotype
    local_changes: np.ndarray      # (L,) anny local changes
    skin_srgb: tuple
    iris: str
    hair_colour: str
    hair_length: str
    hair_volume_cm: float
    parting: str
    fringe: float

    def to_report(self, hm):
        r = lambda v: round(float(v), 4)
        return {"phenotype": {n: r(v) for n, v in zip(hm.phenotype_labels, self.phenotype)},
                "local_changes": {hm.local_change_labels[i]: r(self.local_changes[i])
                                  for i in np.nonzero(np.abs(self.local_changes) >= 0.01)[0]},
                "skin_srgb": [r(v) for v in self.skin_srgb], "iris": self.iris,
                "hair": {"colour": self.hair_colour, "length": self.hair_length,
                         "volume_cm": r(self.hair_volume_cm), "parting": self.parting, "fringe": r(self.fringe)}}


def _pick(rng, odds_a, odds_b=None, t=0.0):
    """A key drawn with odds blended from ``odds_a`` (t=0) to ``odds_b`` (t=1)."""
    keys = list(odds_a)
    odds_b = odds_b or odds_a
    p = np.array([(1 - t) * odds_a[k] + t * odds_b[k] for k in keys])
    return keys[rng.choice(len(keys), p=p / p.sum())]


@functools.lru_cache(maxsize=1)
def _adult_distribution(hm):
    """anny's age-conditioned phenotype distribution (WHO-calibrated) over adult ages; it reads
    its calibration files when made, so once per process."""
    import torch
    from anny.shape_distribution import SimpleShapeDistribution
    age = torch.distributions.Uniform(torch.tensor(ADULT_AGE_YEARS[0], dtype=torch.float64),
                                      torch.tensor(ADULT_AGE_YEARS[1], dtype=torch.float64))
    return SimpleShapeDistribution(hm.model, morphological_age_distribution=age)


def _phenotype(rng, hm):
    """An adult phenotype, drawn with torch's generator seeded from ``rng``."""
    import torch
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(rng.integers(2 ** 62)))
        years, values = _adult_distribution(hm).sample(1)
    return np.array([float(values[k][0]) for k in hm.phenotype_labels]), float(years[0])


def _local_changes(rng, hm, sd, base=None):
    """Head local changes: one draw per feature, the same on both sides up to a little asymmetry."""
    local = np.zeros(len(hm.local_change_labels)) if base is None else np.array(base, np.float64)
    by_feature = {}
    for i in hm.head_local_change_index:
        label = hm.local_change_labels[i]
        if any(s in label for s in SKIPPED_CHANGES):
            continue
        feature = label[2:] if label[:2] in ("l-", "r-") else label
        if feature not in by_feature:
            by_feature[feature] = rng.normal(0.0, sd)
        local[i] += by_feature[feature] + (rng.normal(0.0, ASYMMETRY_SD) if feature != label else 0.0)
    return np.clip(local, -1.0, 1.0)


def random_identity(rng, hm=None):
    """A random, plausible adult: phenotype, head shape, skin tone, eyes and hair."""
    hm = hm or head_model.load()
    phenotype, years = _phenotype(rng, hm)
    local = _local_changes(rng, hm, LOCAL_CHANGE_SD)
    depth = rng.uniform(0.0, 1.0)                  # 0 light .. 1 deep skin
    skin = _skin_tone(depth) * rng.uniform(0.97, 1.03, 3)
    male = phenotype[hm.phenotype_labels.index("gender")] > 0.5
    iris = _pick(rng, IRIS_ODDS_LIGHT, IRIS_ODDS_DEEP, depth)
    hair = _pick(rng, HAIR_ODDS_LIGHT, HAIR_ODDS_DEEP, depth)
    if rng.uniform() < np.clip((years - 40.0) / 40.0, 0.0, 0.9):
        hair = "grey" if rng.uniform() < 0.7 else "white"
    length = _pick(rng, LENGTH_ODDS["male" if male else "female"])
    if male and years > 45 and rng.uniform() < 0.25:
        length = "none"
    parting = ["left", "right", "centre", "none"][rng.choice(4, p=[0.3, 0.3, 0.2, 0.2])]
    return Identity(phenotype, local, tuple(np.clip(skin, 0, 1)), iris, hair, length,
                    float(rng.uniform(0.5, 3.5)), parting, float(rng.uniform(0.0, 0.6) * (rng.uniform() < 0.4)))


def identity_around(rng, phenotype, local_changes, hm=None):
    """Anny's parameters of a variant around a photo's identity: a relative, not a copy."""
    hm = hm or head_model.load()
    pheno = np.clip(np.asarray(phenotype, np.float64) + rng.normal(0.0, AROUND_PHENOTYPE_SD, len(phenotype)),
                    0.0, 1.0)
    return pheno, _local_changes(rng, hm, AROUND_LOCAL_CHANGE_SD, base=local_changes)


def _skin_tone(depth):
    x = depth * (len(SKIN_TONES_SRGB) - 1)
    k = min(int(x), len(SKIN_TONES_SRGB) - 2)
    return SKIN_TONES_SRGB[k] * (1 - (x - k)) + SKIN_TONES_SRGB[k + 1] * (x - k)
