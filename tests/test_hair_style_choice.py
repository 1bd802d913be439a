"""The hairstyle the pipeline chooses for real photos (analysis with the real fit and hair
segmenter, then core.hair_choice through the fitted camera): short, long, curly and no hair.
The photos are among those the hair segmenter was not trained on."""
import pytest

from conftest import data_path

# photo -> the styles that are right for it (a margin: neighbours a person would accept)
CASES = {
    "short": (("helen_train", "1439641049_1.jpg"), {"short crop", "pixie", "receding"}),
    "long": (("lfpw", "image_0001.png"), {"long straight", "long wavy", "shoulder"}),
    "curly": (("helen_train", "1308054912_1.jpg"), {"curly", "afro", "bob"}),
    "shaved": (("helen_train", "111247636_1.jpg"), {"buzz", "bald", "receding"}),
}


@pytest.fixture(scope="module", params=sorted(CASES))
def chosen(request):
    from core import analysis, assembly, head_model
    parts, right = CASES[request.param]
    an = analysis.analyse([data_path("faces", *parts)])
    hm = head_model.load()
    mesh = assembly.head_mesh(hm, an.neutral)
    arrays = assembly.hair_arrays(hm, an.neutral, mesh["scalp_weight"].copy(), an)
    return request.param, str(arrays["hair_style"][0]), right, an.hair[1], arrays["hair_guides"]


def test_the_style_suits_the_photo(chosen):
    case, style, right, attrs, guides = chosen
    assert style in right, f"{case}: {style} (length {attrs.length}, curl {attrs.curl}, volume {attrs.volume_cm:.1f} cm)"


def test_the_chosen_style_grows(chosen):
    """Every case here has hair to grow (stubble too)."""
    case, style, _, _, guides = chosen
    assert len(guides) > 100, f"{case}: {len(guides)} guides for {style}"
