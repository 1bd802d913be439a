"""The texture from real photos: complete, de-lit, eyes with the right colour."""
import numpy as np
import pytest

from conftest import data_path
from core import assembly, correspondence, head_model, image_io, texture

SIZE = 1024


@pytest.fixture(scope="module")
def texels():
    hm = head_model.load()
    tm = assembly.texel_map(SIZE)
    points = np.einsum("nk,nkc->nc", tm.bary, hm.template[texture.triangulate(hm.faces)[tm.tri]])
    return hm, tm, points


def build(tmp_path_factory, *photo):
    out = tmp_path_factory.mktemp("tex")
    report = assembly.build_avatar([data_path(*photo)], str(out), texture_size=SIZE)
    return (report, image_io.read_photo(str(out / "texture.png")).astype(float),
            image_io.read_photo(str(out / "texture_lit.png")).astype(float))


def luminance(img, tm, mask):
    return float((img[tm.ys[mask], tm.xs[mask]] @ [0.2126, 0.7152, 0.0722]).mean())


def test_no_unfilled_texel_and_the_unseen_side_looks_like_skin(tmp_path_factory, texels):
    hm, tm, points = texels
    report, albedo, _ = build(tmp_path_factory, "faces", "lfpw", "image_0001.png")
    skin = tm.part == 0
    island = albedo[tm.ys[skin], tm.xs[skin]]
    # an unfilled texel stays at the empty value, black, and unfilled texels come in patches; a
    # few single black texels are the photo's own (image_0001 has 642 pure black pixels)
    black = int((island.max(1) == 0).sum())
    assert black <= 1e-4 * len(island), f"{black} unfilled texels in the head's UV islands"
    assert tm.inside.sum() == len(tm.ys)
    front = skin & (points[:, 1] < -0.09) & (np.abs(points[:, 0]) < 0.03)      # cheeks, nose, mouth
    back = skin & (points[:, 1] > 0.02)                                          # the back of the head
    ratio = luminance(albedo, tm, back) / luminance(albedo, tm, front)
    assert 0.6 < ratio < 1.4, f"the back of the head is {ratio:.2f} x as bright as the face"
    assert report["texture"]["photo_coverage"] > 0.1


def test_albedo_evens_out_a_side_lit_face(tmp_path_factory, texels):
    """helen 18467629_1 is lit from one side: the cheeks' luminance ratio in the photo-lit
    texture is far from 1; in the albedo it is closer (measured 1.45 -> 1.01)."""
    hm, tm, points = texels
    _, albedo, lit = build(tmp_path_factory, "faces", "helen_train", "18467629_1.jpg")
    lm = correspondence.surface_points(hm.template)
    cheek = lambda i: (np.linalg.norm(points - lm[i], axis=1) < 0.015) & (tm.part == 0)
    right, left = cheek(205), cheek(425)
    lit_ratio = luminance(lit, tm, left) / luminance(lit, tm, right)
    albedo_ratio = luminance(albedo, tm, left) / luminance(albedo, tm, right)
    assert abs(np.log(lit_ratio)) > 0.2
    assert abs(np.log(albedo_ratio)) < 0.5 * abs(np.log(lit_ratio)), (lit_ratio, albedo_ratio)


def test_iris_colour_blue_and_brown(tmp_path_factory):
    blue, _, _ = build(tmp_path_factory, "faces", "helen_train", "1259817140_1.jpg")
    brown, _, _ = build(tmp_path_factory, "faces", "helen_train", "112655203_1.jpg")
    (br, _, bb), (nr, _, nb) = blue["texture"]["iris_rgb"], brown["texture"]["iris_rgb"]
    assert bb > br and nr > 1.5 * nb
    assert (bb - br) > (nb - nr) + 0.1


def test_push_pull_fill_keeps_known_values_at_any_size():
    """Seen texels keep their value, holes get finite values, for odd sizes and 1 to 9 channels."""
    rng = np.random.default_rng(0)
    for channels in (1, 3, 9):
        color = rng.random((37, 53, channels)).astype(np.float32)
        weight = (rng.random((37, 53)) > 0.7).astype(np.float32)
        filled = texture.push_pull_fill(color, weight)
        assert filled.shape == color.shape and np.isfinite(filled).all()
        seen = weight == 1
        assert np.allclose(filled[seen], color[seen], atol=1e-5)
        assert filled[~seen].min() >= 0 and filled[~seen].max() <= 1


def test_iris_colour_of_a_face_partly_outside_the_photo():
    """An eye beyond the photo's edge is left out of the iris colour (it was a numpy error)."""
    photo = np.full((100, 100, 3), (60, 90, 150), np.uint8)
    lm = np.zeros((478, 2))
    for centre, rim, at in ((468, range(469, 473), (-40.0, 50.0)), (473, range(474, 478), (60.0, 50.0))):
        lm[centre] = at
        lm[list(rim)] = np.array(at) + [(6, 0), (0, 6), (-6, 0), (0, -6)]
    rgb = texture.measure_iris(photo, lm)
    assert np.allclose(rgb, np.array((60, 90, 150)) / 255.0)
    lm[473] = (140.0, 50.0)                                  # both eyes outside: the default colour
    lm[474:478] = lm[473] + np.array([(6, 0), (0, 6), (-6, 0), (0, -6)])
    assert len(texture.measure_iris(photo, lm)) == 3


@pytest.fixture(scope="module")
def skin_masks(texels):
    from tools import skin_colour
    hm, tm, _ = texels
    return skin_colour.regions(hm, tm)


def skin_figures(texels, skin_masks, *photo):
    from tools import skin_colour
    hm, tm, _ = texels
    return skin_colour.measure(data_path(*photo), hm, tm, skin_masks, size=SIZE)


@pytest.mark.parametrize("photo", [("helen_train", "106348540_1.jpg"), ("helen_train", "18467629_1.jpg"),
                                   ("helen_train", "1259817140_1.jpg"), ("lfpw", "image_0001.png")])
def test_delit_skin_keeps_the_photos_hue(texels, skin_masks, photo):
    """A warm photo, a side-lit one (its shadow side is orange) and two pale skins: the de-lit
    cheeks keep the photo's hue and saturation (measured: hue within 7 degrees, chroma 0.82 to
    1.01 x), and so does the back of the head, which the photo never shows (its completion
    was the average of the face's edges: 2.35 x the cheeks' chroma on 1259817140_1)."""
    f = skin_figures(texels, skin_masks, "faces", *photo)
    _, dhue, chroma = f["cheek"]
    assert abs(dhue) < 10 and 0.75 < chroma < 1.2, f["cheek"]
    _, dhue, chroma = f["back"]
    assert abs(dhue) < 15 and 0.6 < chroma < 1.4, f["back"]


@pytest.mark.parametrize("photo", [("helen_train", "171198578_2.jpg"), ("helen_train", "1259817140_1.jpg")])
def test_no_pale_rim_around_the_eyes(texels, skin_masks, photo):
    """The lids take the lids' colour, not the photo's sclera where the fit's lids are a little
    off: whitish texels within 3 mm of the eye openings (14 % on 171198578_2 before)."""
    f = skin_figures(texels, skin_masks, "faces", *photo)
    assert f["ring_tex"] < 0.02, f["ring_tex"]


@pytest.mark.parametrize("photo", [("helen_train", "1259817140_1.jpg"), ("helen_train", "146827737_1.jpg"),
                                   ("helen_train", "112655203_1.jpg")])
def test_painted_iris_reads_as_the_persons(texels, skin_masks, photo):
    """Blue eyes and two brown ones: the painted iris against the skin matches the photo's iris
    against its skin (CIEDE2000; 146827737_1's was 7.5, three times too light, before the eyes
    were de-lit by the shading around them)."""
    f = skin_figures(texels, skin_masks, "faces", *photo)
    assert f["iris_de"] < 4.0 and 0.6 < f["iris_light"] < 1.8, f
