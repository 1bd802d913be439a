"""The glb files Likeness writes, as a web or game developer receives them: the Khronos glTF
validator finds no error in them, and three.js draws the head in headless Chromium, where the
jawOpen morph target opens the mouth. Node.js, the npm packages and Debian's chromium come from
`make setup`; when they are missing the tests fail and say what to install."""
import numpy as np
import pytest

from conftest import data_path
from test_cli import run
from tools import webcheck

PHOTO = ("faces", "lfpw", "image_0001.png")
CLIP = ("speech", "grid_s1_dev", "bbaf3s.mpg")


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """An avatar with hair cards (`likeness avatar ... --hair cards --glb`) and the same avatar
    lip-synced (`likeness lipsync ... --glb`, a glb with its animation)."""
    out = tmp_path_factory.mktemp("web")
    proc = run("avatar", data_path(*PHOTO), "--out", str(out), "--texture-size", "1024",
               "--hair", "cards", "--glb")
    assert proc.returncode == 0, proc.stderr[-2000:]
    proc = run("lipsync", str(out / "avatar.blend"), data_path(*CLIP), "--out", str(out / "talking.blend"),
               "--glb")
    assert proc.returncode == 0, proc.stderr[-2000:]
    return out


def require(browser):
    """Fail (not skip: `make setup` installs them) naming what is missing."""
    problem = webcheck.missing(browser)
    if problem:
        pytest.fail(problem)


@pytest.fixture(scope="module")
def validated(exported):
    require(browser=False)
    return dict(zip(("avatar", "talking"),
                    webcheck.validate_glbs([exported / "avatar.glb", exported / "talking.glb"])))


@pytest.fixture(scope="module")
def shots(exported):
    """The avatar's glb in three.js: at rest and with jawOpen at 1, from the same camera."""
    require(browser=True)
    rest, open_ = exported / "rest.png", exported / "jaw_open.png"
    summary = webcheck.render_shots(exported / "avatar.glb", [(rest, None), (open_, {"jawOpen": 1.0})])
    return summary, read_rgb(rest), read_rgb(open_)


def read_rgb(path):
    import cv2
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    assert image is not None, f"no screenshot at {path}"
    return image[:, :, ::-1].astype(np.int32)


def describe(summary):
    return "; ".join(f"{m['severity']} {m['code']} at {m['pointer']}: {m['message']}"
                     for m in summary["messages"] if m["severity"] == "error")


def test_avatar_glb_with_hair_cards_has_no_validation_error(validated):
    report = validated["avatar"]
    assert report["errors"] == 0, describe(report)
    info = report["info"]
    assert info["hasMorphTargets"] and info["hasSkins"] and info["hasTextures"]
    assert info["drawCallCount"] >= 6, "head (skin, eyes, tongue, teeth, cornea) and hair cards"


def test_lipsync_glb_with_its_animation_has_no_validation_error(validated):
    report = validated["talking"]
    assert report["errors"] == 0, describe(report)
    assert report["info"]["animationCount"] == 1


def test_three_js_draws_the_head(shots):
    summary, rest, _ = shots
    assert summary["console_errors"] == [], summary["console_errors"]
    assert "jawOpen" in summary["morphs"]
    background = np.array([int(summary["background"][i:i + 2], 16) for i in (1, 3, 5)])
    h, w, _ = rest.shape
    middle = rest[int(0.47 * h): int(0.6 * h), 2 * w // 5: 3 * w // 5]   # nose and cheeks (head framed)
    drawn = np.abs(middle - background).max(axis=2) > 24
    assert drawn.mean() > 0.9, f"only {drawn.mean():.0%} of the middle of the face is not background"
    skin = middle[drawn]
    assert (skin.max(axis=1) < 40).mean() < 0.05, "the head is drawn black (no light or no texture)"
    skin_like = (skin[:, 0] > skin[:, 1]) & (skin[:, 1] > skin[:, 2]) & (skin[:, 0] > 80)
    assert skin_like.mean() > 0.6, f"only {skin_like.mean():.0%} of the face is skin-coloured (R > G > B)"


def test_jaw_open_morph_changes_the_mouth(shots):
    summary, rest, open_ = shots
    assert summary["shots"][1]["meshes_set"] > 0, "no mesh took the jawOpen influence"
    changed = np.abs(open_ - rest).max(axis=2) > 24
    h, w = changed.shape
    ys, xs = np.nonzero(changed)
    assert len(ys) > 0.004 * h * w, f"jawOpen=1 changed only {len(ys)} pixels"
    # Around the mouth and chin: the lower half of the framed head, its middle across.
    near_mouth = (xs > 0.3 * w) & (xs < 0.7 * w) & (ys > 0.5 * h) & (ys < 0.95 * h)
    assert near_mouth.mean() > 0.9, f"only {near_mouth.mean():.0%} of the changed pixels are near the mouth"


def test_missing_browser_is_named(monkeypatch, tmp_path):
    monkeypatch.setattr(webcheck, "CHROMIUM", str(tmp_path / "no-chromium"))
    problem = webcheck.missing()
    assert problem is not None and "chromium" in problem and "make setup" in problem
    with pytest.raises(webcheck.WebToolsMissing, match="chromium"):
        webcheck.render_glb(tmp_path / "any.glb", tmp_path / "any.png")
