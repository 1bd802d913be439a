"""The hairstyle library grown on a real head, and the style chosen from a silhouette."""
import numpy as np
import pytest

from core import hair_choice, hair_strands, hair_ties, hair_styles


def grow(head, name, **kw):
    v, quads, skin, scalp, _ = head
    return hair_strands.guides(v, quads, skin, scalp, hair_styles.style(name, **kw))


def reach(g):
    """Each strand's root-to-tip distance."""
    return np.linalg.norm(g[:, -1] - g[:, 0], axis=1)


def test_every_style_grows_guides_and_bald_none(head):
    for name in hair_styles.NAMES:
        for parting, fringe in (("none", "none"), ("left", "full")):
            g = grow(head, name, parting=parting, fringe=fringe)
            if name == "bald":
                assert len(g) == 0
            else:
                assert len(g) >= 100 and g.shape[1:] == (hair_strands.POINTS, 3), name
                assert np.isfinite(g).all(), name


def test_lengths_per_style(head):
    lm = head[4]
    chin_z = lm[hair_strands.CHIN, 2]
    med = {n: np.median(reach(grow(head, n))) for n in ("buzz", "short crop", "pixie", "bob", "long straight")}
    assert med["buzz"] < 0.025 < med["short crop"] < 0.05 < med["pixie"] < 0.1 < med["bob"] < med["long straight"]
    tip = lambda n: np.median(grow(head, n)[:, -1, 2])
    assert abs(tip("bob") - chin_z) < 0.04
    assert tip("shoulder") < chin_z - 0.06 and tip("long straight") < chin_z - 0.2


@pytest.mark.parametrize("tie", ["ponytail", "bun"])
def test_ties_gather_every_strand(head, tie):
    v, _, skin, _, lm = head
    g = grow(head, tie)
    point = hair_strands.tie_point(v, skin, tie)
    assert point[1] > np.percentile(v[skin, 1], 90)                    # at the back of the head
    assert (np.linalg.norm(g - point, axis=2).min(1) < 0.012).all()    # every strand passes it
    if tie == "ponytail":                                              # then falls from it
        assert np.median(g[:, -1, 2]) < point[2] - 0.15
    else:                                                              # or coils round a compact ball
        assert np.linalg.norm(g[:, -1] - point, axis=1).max() < 2.5 * hair_ties.BUN_RADIUS_M
    with_fringe = grow(head, tie, fringe="full")
    loose = np.linalg.norm(with_fringe - point, axis=2).min(1) > 0.05  # a fringe stays loose
    assert loose.sum() >= 5


def test_a_receding_hairline_leaves_the_temples_bare(head):
    lm = head[4]
    centre_x = 0.5 * (lm[hair_strands.EAR_L, 0] + lm[hair_strands.EAR_R, 0])
    half = 0.5 * abs(lm[hair_strands.EAR_L, 0] - lm[hair_strands.EAR_R, 0])

    full, receded = grow(head, "short crop"), grow(head, "receding")
    hairline_y = full[:, 0, 1].min()                    # the front of a full head of hair

    def temple_roots(g):
        r = g[:, 0]
        return ((r[:, 1] < hairline_y + 0.04) & (np.abs(r[:, 0] - centre_x) > 0.6 * half)).sum()

    assert temple_roots(full) >= 5 and temple_roots(receded) == 0
    assert len(receded) > 0.5 * len(full)                                # the crown keeps its hair


def curvature(g):
    """Mean turn (radians) per cm of strand, past the first 2 cm."""
    d = np.diff(g, axis=1)
    seg = np.linalg.norm(d, axis=2)
    u = d / np.maximum(seg[..., None], 1e-9)
    turn = np.arccos(np.clip((u[:, 1:] * u[:, :-1]).sum(2), -1, 1))
    far = np.cumsum(seg, 1)[:, :-1] > 0.02
    return float(turn[far].sum() / (100 * seg[:, 1:][far].sum()))


def test_curl_classes_give_increasing_curvature(head):
    import dataclasses
    base = hair_styles.style("shoulder")
    v, quads, skin, scalp, _ = head
    c = [curvature(hair_strands.guides(v, quads, skin, scalp, dataclasses.replace(base, curl=curl)))
         for curl in hair_styles.CURL_CLASSES]
    assert all(b > 1.15 * a for a, b in zip(c, c[1:])), c


def _camera(v):
    """A frontal camera 0.9 m from the head (OpenCV axes), 640 x 640 px."""
    rotation = np.array([[1.0, 0, 0], [0, 0, -1.0], [0, 1.0, 0]])
    centre = v[v[:, 2] > np.percentile(v[:, 2], 40)].mean(0)
    return rotation, np.array([0, 0, 0.9]) - rotation @ centre, 900.0, np.array([320.0, 320.0])


def _report(chosen, length=None):
    """The attributes a segmenter would measure for a style seen from the front."""
    return dict(length=length or chosen.length, length_below_chin_cm=hair_choice.apparent_length_cm(chosen),
                volume_cm=100 * chosen.volume_m, parting="none", fringe=0.0, scalp_coverage=1.0,
                bald=False, shaved=False, curl=chosen.curl)


@pytest.mark.parametrize("name,length", [("short crop", None), ("afro", None), ("bob", None),
                                         ("ponytail", "above the ears"), ("bun", "above the ears"),
                                         ("long straight", None), ("receding", None), ("curly", None)])
def test_the_choice_finds_the_style_a_mask_was_drawn_from(head, name, length):
    v, quads, skin, scalp, _ = head
    cam = _camera(v)
    truth = hair_styles.style(name, seed=7)                  # other roots than the candidates'
    view = hair_choice.View(cam[0], cam[1], cam[2], cam[3], 1.0, np.zeros(2), (640, 640))
    mask = view.silhouette(hair_strands.guides(v, quads, skin, scalp, truth), view.depth(v))
    grow_ = lambda s: hair_strands.guides(v, quads, skin, scalp, s)
    chosen, strands, scores = hair_choice.choose(_report(truth, length), mask, v, grow_, cam)
    assert chosen.name == name, scores
    runner_up = max(s for n, s in scores.items() if n != name)
    assert scores[name] > runner_up + 0.03, scores
    assert len(strands) == len(grow_(chosen))


def test_weak_evidence_gives_a_default_without_the_silhouette(head):
    v, quads, skin, scalp, _ = head
    grow_ = lambda s: hair_strands.guides(v, quads, skin, scalp, s)
    report = dict(_report(hair_styles.style("bob")), weak_evidence=True)
    full = np.ones((640, 640), bool)                          # a mask that would pick long hair
    assert hair_choice.choose(report, full, v, grow_, _camera(v))[0].name == "bob"
    unknown = dict(report, length="none", bald=True)
    assert hair_choice.choose(unknown, full, v, grow_, _camera(v))[0].name == "short crop"
    # no curl or weak_evidence keys (older reports): still chosen
    old = {k: x for k, x in _report(hair_styles.style("bob")).items() if k != "curl"}
    assert hair_choice.choose(old, None, v, grow_, _camera(v))[0].name == "bob"
    assert hair_styles.from_report(old).name == "bob"
