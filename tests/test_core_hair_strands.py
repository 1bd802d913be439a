"""Hair strands grown on a real head: lengths, the parting, the face kept clear, and cards."""
import numpy as np

from tools.measures import iou
from core import hair_strands


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


def _camera(v):
    """A frontal camera 0.6 m from the head (OpenCV axes), 400 x 400 px."""
    rotation = np.array([[1.0, 0, 0], [0, 0, -1.0], [0, 1.0, 0]])
    centre = v[v[:, 2] > np.percentile(v[:, 2], 40)].mean(0)
    return rotation, np.array([0, 0, 0.6]) - rotation @ centre, 700.0, (200.0, 200.0)


def _silhouette(strands, cam, size=400):
    import cv2
    rotation, translation, f, pp = cam
    c = strands @ rotation.T + translation
    px = c[..., :2] / c[..., 2:] * f + np.asarray(pp)
    img = np.zeros((size, size), np.uint8)
    cv2.polylines(img, list(np.round(px * 4).astype(np.int32)), False, 1, 12, shift=2)
    return img.astype(bool)


def test_the_silhouette_fit_moves_the_hair_to_the_photos_outline(head):
    import cv2
    v = head[0]
    cam = _camera(v)
    g = grow(head, length="to the chin")
    sil = _silhouette(g, cam)
    disk = np.ones((25, 25), np.uint8)
    for target in (cv2.dilate(sil.astype(np.uint8), disk).astype(bool),           # fuller hair
                   cv2.erode(sil.astype(np.uint8), disk).astype(bool)):           # less of it
        fitted = hair_strands.fit_silhouette(g, v, target, *cam)
        assert iou(_silhouette(fitted, cam), target) > iou(sil, target) + 0.03
        assert np.allclose(fitted[:, 0], g[:, 0])                                # roots stay
        assert np.linalg.norm(fitted - g, axis=2).max() <= hair_strands.SIL_MAX_SHIFT_M + 1e-9


def test_the_silhouette_fit_is_robust_to_a_wrong_mask(head):
    v = head[0]
    cam = _camera(v)
    g = grow(head, length="longer")
    assert np.array_equal(hair_strands.fit_silhouette(g, v, np.zeros((400, 400), bool), *cam), g)
    # a mask of the photo's lower half: runs off the photo, so the hair there may be longer
    lower = np.zeros((400, 400), bool)
    lower[200:] = True
    fitted = hair_strands.fit_silhouette(g, v, lower, *cam)
    low = lambda s: (s @ cam[0].T + cam[1])[..., 1].max()          # lowest point in the image (y down)
    assert low(fitted) >= low(g) - 1e-9
    # the back of the skull, hidden from the camera, stays as grown
    back = (g[:, :, 1] > v[:, 1].max() - 0.03) & (g[:, :, 2] > head[4][hair_strands.EAR_L, 2] + 0.02)
    assert back.sum() > 100
    assert np.allclose(fitted[back], g[back], atol=1e-3)


def test_bare_skin_under_a_hairline_and_in_a_cropped_face(head):
    """Bare skin is where the photo shows skin under hair; a photo cropped at the brows shows no
    hairline, yet the face inside its oval is still bare (no hair hangs over it)."""
    v, quads, _, _, lm = head
    cam = _camera(v)
    px = (v @ cam[0].T + cam[1])
    px = px[:, :2] / px[:, 2:] * cam[2] + np.asarray(cam[3])
    brow_y = (lm[hair_strands.BROW_MID] @ cam[0].T + cam[1])
    brow_y = brow_y[1] / brow_y[2] * cam[2] + cam[3][1]
    hairline = np.zeros((400, 400), bool)
    hairline[:int(brow_y) - 25] = True                            # hair down to just above the brows
    bare = hair_strands.bare_skin(v, quads, hairline, *cam)
    front = v[:, 1] < np.percentile(v[:, 1], 20)                  # the face's side of the head
    below = front & (px[:, 1] > brow_y) & (px[:, 1] < brow_y + 40)   # brows to nose
    assert bare[below].mean() > 0.8
    assert not bare[px[:, 1] < brow_y - 30].any()                 # under the hair: not bare
    # the same face cropped at the brows: hair only at the sides, none above the face
    sides = np.zeros((400, 400), bool)
    sides[:, :int(px[:, 0].min()) + 5] = sides[:, int(px[:, 0].max()) - 5:] = True
    cropped = hair_strands.bare_skin(v, quads, sides, *cam)
    assert cropped[below].mean() > 0.8
    assert not hair_strands.bare_skin(v, quads, np.zeros((400, 400), bool), *cam).any()   # no hair found
