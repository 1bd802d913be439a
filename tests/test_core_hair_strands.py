"""Hair strands grown on a real head: lengths, the parting, the face kept clear, and cards."""
import numpy as np
import pytest

from core import correspondence, hair_strands, head_model, measure


@pytest.fixture(scope="module")
def head():
    hm = head_model.load()
    v = hm.forward(*hm.neutral_parameters())["vertices"]
    scalp = measure.scalp_weights(v, hm.vertex_part, hm.region_vertices("ear"))
    return v, hm.faces, hm.vertex_part == 0, scalp, correspondence.surface_points(v)


def grow(head, **style):
    v, quads, skin, scalp, _ = head
    return hair_strands.guides(v, quads, skin, scalp, hair_strands.Style(**style))


def test_lengths_follow_the_style(head):
    lm = head[4]
    chin_z, ear_z = lm[hair_strands.CHIN, 2], lm[hair_strands.EAR_L, 2]
    short, bob, long = (grow(head, length=k) for k in ("above the ears", "to the chin", "longer"))
    assert len(grow(head, length="none")) == 0
    assert 200 <= len(short) and short.shape[1:] == (hair_strands.POINTS, 3)
    tips = lambda g: g[:, -1, 2]
    assert np.median(tips(short)) > ear_z                      # short hair ends above the ears
    assert abs(np.percentile(tips(bob), 10) - chin_z) < 0.03   # a bob ends at the chin line
    assert np.percentile(tips(long), 10) < chin_z - 0.2        # long hair falls well below it


def test_hair_frames_the_face_and_a_fringe_covers_the_brow(head):
    lm = head[4]
    face = lm[[1, 4, 13, 14, 152, 33, 263]]                    # nose, lips, chin, eye corners
    for fringe in (0.0, 0.8):
        g = grow(head, length="longer", fringe=fringe).reshape(-1, 3)
        nearest = np.min(np.linalg.norm(g[:, None, :] - face[None], axis=2), axis=0)
        assert nearest.min() > 0.015, "a strand crosses the face"
    brow_band = lambda g: ((g[..., 2] > lm[9, 2]) & (g[..., 2] < lm[10, 2]) & (g[..., 1] < lm[10, 1] - 0.005)
                           & (np.abs(g[..., 0] - lm[9, 0]) < 0.03)).sum()
    assert brow_band(grow(head, length="to the chin", fringe=0.8)) > 3 * max(brow_band(grow(head, length="to the chin")), 1)


def test_the_parting_side_sends_hair_away_from_it(head):
    lm = head[4]
    centre = 0.5 * (lm[hair_strands.EAR_L, 0] + lm[hair_strands.EAR_R, 0])
    for side, sign in (("left", 1.0), ("right", -1.0)):
        g = grow(head, length="above the ears", parting=side)
        crown = g[:, 0, 2] > np.percentile(g[:, 0, 2], 70)      # roots on top of the head
        between = crown & (np.abs(g[:, 0, 0] - centre) < 0.02)   # between the middle and the parting
        moved = g[between, -1, 0] - g[between, 0, 0]
        assert (np.sign(moved) == -sign).mean() > 0.7            # they go over to the far side


def test_cards_are_ribbons_with_strand_texture(head):
    g = grow(head, length="to the chin")
    verts, quads, uv = hair_strands.cards(g, head[0].mean(0))
    n, k = g.shape[:2]
    assert verts.shape == (n * k * 2, 3) and quads.shape == (n * (k - 1), 4) and uv.shape == (len(quads), 4, 2)
    width = np.linalg.norm(verts[0::2] - verts[1::2], axis=1)
    assert 0.01 < width.max() <= hair_strands.CARD_WIDTH_M + 1e-9
    tex = hair_strands.card_texture((0.3, 0.15, 0.05))
    alpha = tex[..., 3]
    assert alpha[-1].mean() > alpha[0].mean()                   # roots (bottom row) denser than tips
    assert 0.2 < (alpha > 128).mean() < 0.95                    # strands with gaps between them
