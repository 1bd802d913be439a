"""Fit the anny head to mediapipe's landmarks: camera, head pose, phenotype,
head local changes and the 52 facial actions.

The head is linear in its blend-shape coefficients, so the fit works on the
model restricted to the 478 landmark points (a (K, 478, 3) basis built once
per process) and runs the full model only once, at the end (see
``head_model``). The camera is a pinhole with the principal point at the image
centre and a fitted focal length (weak prior around a 50 mm equivalent lens).
Coordinates: the head's rest frame is Blender's (metres, Z up, face towards -Y);
the camera frame is OpenCV's (x right, y down, z forward).
"""
import dataclasses
import functools
import logging
import math

import numpy as np

from . import correspondence, head_model
from .errors import FitFailed

log = logging.getLogger(__name__)

# A head looking straight into the camera: camera x = X, camera y = -Z, camera z = Y.
FRONTAL = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
FOCAL_PRIOR = 1.4           # focal length in units of the photo's longer side (50 mm on 36 mm)
ITERATIONS = 300


@dataclasses.dataclass
class FitResult:
    phenotype: np.ndarray        # (6,)
    local_changes: np.ndarray    # (256,) zero outside the head
    facial_actions: np.ndarray   # (52,) the photo's expression, 0..1
    rotation: np.ndarray         # (3, 3) camera-from-head (rest frame, before the origin shift)
    translation: np.ndarray      # (3,) metres
    focal_px: float
    principal_point: tuple
    image_size: tuple            # (width, height)
    residual_px: float           # mean distance over the 478 points
    landmarks_px: np.ndarray     # (478, 2) the fitted model's points in the photo


class _LandmarkBasis:
    """The head model restricted to mediapipe's points, in torch."""

    def __init__(self, hm):
        import torch
        tri, bary = correspondence.mediapipe_embedding()
        m = hm.model
        head_lc = hm.head_local_change_index
        self.head_lc = torch.as_tensor(head_lc)
        n_lc = len(hm.local_change_labels)
        rows_lc = np.stack([2 * head_lc, 2 * head_lc + 1], 1).reshape(-1)
        n_pheno_rows = hm.facial_action_rows[0]
        pick = np.concatenate([np.arange(n_pheno_rows), hm.facial_action_rows,
                               hm.facial_action_rows[-1] + 1 + rows_lc])
        shapes = np.einsum("kpjc,pj->kpc", hm.blendshapes[:, tri, :], bary)
        self.template = torch.as_tensor(np.einsum("pjc,pj->pc", hm.template[tri], bary))
        self.basis = torch.as_tensor(shapes[pick].reshape(len(pick), -1))
        self.model = m
        self.n_lc = n_lc

    def points(self, phenotype, lc_head, facial_actions):
        import torch
        from anny.models.phenotype import phenotype_blendshape_weights
        m = self.model
        wi = phenotype_blendshape_weights(phenotype, m.phenotype_labels, m.anchors,
                                          m.stacked_phenotype_blend_shapes_mask,
                                          extrapolate=m.extrapolate_phenotypes)
        wi = wi @ m.phenotype_blendshape_projection
        lc = torch.stack([torch.relu(lc_head), torch.relu(-lc_head)], -1).reshape(lc_head.shape[0], -1)
        coeffs = torch.cat([wi, facial_actions, lc], 1)
        return self.template + (coeffs @ self.basis).reshape(-1, *self.template.shape)


@functools.lru_cache(maxsize=1)
def _basis():
    return _LandmarkBasis(head_model.load())


@functools.lru_cache(maxsize=1)
def _landmark_weights():
    """Per-point weights: the face outline slides along the silhouette, so it counts less."""
    from mediapipe.python.solutions.face_mesh_connections import FACEMESH_FACE_OVAL
    w = np.ones(478)
    w[sorted({i for edge in FACEMESH_FACE_OVAL for i in edge})] = 0.3
    w[468:] = 2.0
    return w


def _rodrigues(rvec):
    import torch
    theta = torch.sqrt((rvec * rvec).sum() + 1e-12)
    k = rvec / theta
    kx = torch.stack([torch.stack([0 * k[0], -k[2], k[1]]),
                      torch.stack([k[2], 0 * k[0], -k[0]]),
                      torch.stack([-k[1], k[0], 0 * k[0]])])
    eye = torch.eye(3, dtype=rvec.dtype)
    return eye + torch.sin(theta) * kx + (1 - torch.cos(theta)) * (kx @ kx)


def _initial_pose(model_points, image_points, focal, centre):
    import cv2
    cam = np.array([[focal, 0, centre[0]], [0, focal, centre[1]], [0, 0, 1]])
    rvec0, _ = cv2.Rodrigues(FRONTAL)
    tvec0 = np.array([0.0, 0.0, 0.5]) - FRONTAL @ model_points.mean(0)
    ok, rvec, tvec = cv2.solvePnP(model_points, image_points, cam, None, rvec0, tvec0,
                                  useExtrinsicGuess=True, flags=cv2.SOLVEPNP_ITERATIVE)
    if not ok or np.ravel(tvec)[2] <= 0:
        raise FitFailed("Could not find the head's pose in the photo.")
    return rvec.ravel(), tvec.ravel()


def fit(landmarks, image_size, iterations=ITERATIONS):
    """Fit to (478, 2) pixel landmarks of a photo of ``image_size`` (width, height)."""
    import torch
    basis = _basis()
    hm = head_model.load()
    w_img, h_img = image_size
    centre = (w_img / 2.0, h_img / 2.0)
    f0 = FOCAL_PRIOR * max(w_img, h_img)
    target = torch.as_tensor(np.asarray(landmarks, dtype=np.float64))
    scale = float(np.ptp(landmarks[:, 0]))            # face width: residuals are relative to it
    weights = torch.as_tensor(_landmark_weights())

    pheno0, _, _ = hm.neutral_parameters()
    rvec0, tvec0 = _initial_pose(basis.template.numpy(), np.asarray(landmarks, np.float64), f0, centre)

    rvec = torch.tensor(rvec0, requires_grad=True)
    tvec = torch.tensor(tvec0, requires_grad=True)
    log_f = torch.tensor(0.0, requires_grad=True)
    pheno = torch.tensor(pheno0[None], requires_grad=True)
    lc = torch.zeros((1, len(hm.head_local_change_index)), dtype=torch.float64, requires_grad=True)
    fa = torch.full((1, len(hm.facial_action_labels)), 0.05, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([
        {"params": [rvec], "lr": 0.01}, {"params": [tvec], "lr": 0.003},
        {"params": [log_f], "lr": 0.01}, {"params": [pheno], "lr": 0.02},
        {"params": [lc], "lr": 0.03}, {"params": [fa], "lr": 0.02}])
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, iterations, eta_min=1e-4)
    cx, cy = centre

    def project(pts):
        cam_pts = pts @ _rodrigues(rvec).T + tvec
        f = f0 * torch.exp(log_f)
        return torch.stack([f * cam_pts[..., 0] / cam_pts[..., 2] + cx,
                            f * cam_pts[..., 1] / cam_pts[..., 2] + cy], -1), cam_pts

    for it in range(iterations):
        opt.zero_grad()
        pts = basis.points(pheno, lc, fa)[0]
        uv, cam_pts = project(pts)
        res = ((uv - target) / scale).pow(2).sum(-1)
        loss = (weights * res).mean() \
            + 1e-4 * lc.pow(2).mean() + 2e-5 * fa.abs().sum() \
            + 1e-4 * (pheno - 0.5).pow(2).sum() + 1e-3 * log_f.pow(2)
        loss.backward()
        opt.step()
        sched.step()
        with torch.no_grad():
            pheno.clamp_(0.0, 1.0)
            lc.clamp_(-1.0, 1.0)
            fa.clamp_(0.0, 1.0)
            log_f.clamp_(-1.2, 1.2)

    with torch.no_grad():
        pts = basis.points(pheno, lc, fa)[0]
        uv, cam_pts = project(pts)
        if not torch.isfinite(uv).all() or (cam_pts[:, 2] <= 0).any():
            raise FitFailed("The head model could not be fitted to this photo.")
        residual = float((uv - target).norm(dim=-1).mean())
        lc_full = np.zeros(len(hm.local_change_labels))
        lc_full[hm.head_local_change_index] = lc[0].numpy()
        return FitResult(
            phenotype=pheno[0].numpy().copy(), local_changes=lc_full,
            facial_actions=fa[0].numpy().copy(),
            rotation=_rodrigues(rvec).numpy(), translation=tvec.numpy().copy(),
            focal_px=float(f0 * math.exp(float(log_f))), principal_point=centre,
            image_size=(int(w_img), int(h_img)), residual_px=residual,
            landmarks_px=uv.numpy().astype(np.float32))


def head_pose_degrees(rotation):
    """(yaw, pitch, roll) of the head relative to looking straight into the camera, in degrees.

    Yaw turns about the vertical axis: positive turns the face towards the
    image's right (the subject's left). Pitch nods: positive looks down. Roll
    tilts: positive leans the top of the head towards the image's right.
    """
    from scipy.spatial.transform import Rotation
    m = FRONTAL.T @ np.asarray(rotation)
    yaw, pitch, roll = Rotation.from_matrix(m).as_euler("ZXY", degrees=True)
    return float(yaw), float(pitch), float(roll)


def project(points, rotation, translation, focal_px, principal_point):
    """Pinhole projection of head-frame points to pixels (numpy)."""
    cam = np.asarray(points) @ np.asarray(rotation).T + translation
    return np.stack([focal_px * cam[..., 0] / cam[..., 2] + principal_point[0],
                     focal_px * cam[..., 1] / cam[..., 2] + principal_point[1]], -1)
