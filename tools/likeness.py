"""Likeness as a face-recognition model sees it (the likeness bench and its test): dlib's face
descriptor of a photo and of the avatar's renders at rest, from the front and 30 degrees aside.

dlib's ResNet face descriptor (128-D, from face-recognition-models), the face found by dlib's
HOG detector and aligned with its 5-point shape predictor (CC0; the 68-point model, whose
training data is non-commercial, is not used). dlib's rule: the same person under 0.6.
dlib-bin and face-recognition-models are development-only dependencies (requirements/dev.txt).
"""
import importlib.util
import os

import numpy as np

VIEWS = (("front", 0.0), ("30°", 30.0))
SAME = 0.6


class Descriptor:
    """dlib's face descriptor of the largest face in an RGB image (None when none is found)."""

    def __init__(self):
        import dlib
        # the package's own __init__ needs pkg_resources (gone from setuptools): find its folder
        models = os.path.join(importlib.util.find_spec("face_recognition_models").submodule_search_locations[0],
                              "models")
        self.dlib = dlib
        self.detector = dlib.get_frontal_face_detector()
        self.shape = dlib.shape_predictor(os.path.join(models, "shape_predictor_5_face_landmarks.dat"))
        self.net = dlib.face_recognition_model_v1(os.path.join(models, "dlib_face_recognition_resnet_model_v1.dat"))

    def __call__(self, rgb):
        """(128-D descriptor, face box (left, top, right, bottom)) or (None, None)."""
        rgb = np.ascontiguousarray(rgb[..., :3], np.uint8)
        faces = self.detector(rgb, 1) or self.detector(rgb, 2)
        if not faces:
            return None, None
        face = max(faces, key=lambda r: r.width() * r.height())
        chip = self.dlib.get_face_chip(rgb, self.shape(rgb, face), size=150, padding=0.25)
        return (np.asarray(self.net.compute_face_descriptor(chip), np.float64),
                (face.left(), face.top(), face.right(), face.bottom()))


def at_rest(rig):
    """What keeps the avatar from being at rest (expression keys, actions, posed bones); empty when
    it is."""
    from mathutils import Matrix
    odd = []
    for ob in [rig] + list(rig.children_recursive):
        keys = ob.data.shape_keys if ob.type == "MESH" else None
        if keys:
            odd += [f"{ob.name}:{k.name}={k.value:.2f}" for k in keys.key_blocks[1:] if k.value]
            if keys.animation_data and keys.animation_data.action:
                odd.append(f"{ob.name}: action {keys.animation_data.action.name}")
        if ob.animation_data and ob.animation_data.action:
            odd.append(f"{ob.name}: action {ob.animation_data.action.name}")
    odd += [f"bone {b.name}" for b in rig.pose.bones if b.matrix_basis != Matrix.Identity(4)]
    return odd


def render_views(context, preview, rig, path, size, samples):
    """The avatar's views (VIEWS) rendered side by side to ``path`` by the add-on's ``preview``
    module; one (size, size, 3) uint8 array per view."""
    from PIL import Image
    preview.render(context, rig, path, views=VIEWS, size=size, samples=samples)
    both = np.asarray(Image.open(path).convert("RGB"))
    return [both[:, i * size:(i + 1) * size] for i in range(len(VIEWS))]


def rank1(probe, own, gallery):
    """Whether ``probe``'s nearest descriptor among ``gallery`` ({name: descriptor}) is ``own``'s."""
    names = list(gallery)
    return names[int(np.argmin([np.linalg.norm(gallery[n] - probe) for n in names]))] == own
