"""Fit the anny head to mediapipe's landmarks: camera, head pose, phenotype,
head local changes and the 52 facial actions, from one photo or several.

The head is linear in its blend-shape coefficients, so the fit works on the
model restricted to the 478 landmark points (a basis built once per process)
and runs the full model only once, at the end (see ``head_model``). It is a
Levenberg-Marquardt solve with analytic Jacobians in numpy: the identity
(phenotype and local changes) is shared by all photos; each photo has its own
head pose, focal length and expression. Bounds are kept by projection:
phenotype, expressions and the two halves of each local change (its increase
and decrease shapes) stay in [0, 1].

Identity and expression can explain some of the same landmark moves, so the
expression has a prior learned from real faces (``expression_prior``): an
exponential prior per key (a linear cost on the non-negative weights, so unused
keys rest at exactly zero, and keys real faces rarely move cost more) and a
Gaussian one on the difference of keys that mirror each other. The identity, for
its part, pays for moving the landmarks the way an expression would (a smile is
not a person's upturned mouth corners), so such moves go to the expression.

The camera is a pinhole with the principal point at the image centre and a
fitted focal length (weak prior around a 50 mm equivalent lens) unless the
photo's EXIF gives it. Coordinates: the head's rest frame is Blender's
(metres, Z up, face towards -Y); the camera frame is OpenCV's (x right, y
down, z forward).
"""
import dataclasses
import functools
import logging

import numpy as np

from . import correspondence, expression_prior, head_model
from .errors import FitFailed

log = logging.getLogger(__name__)

# A head looking straight into the camera: camera x = X, camera y = -Z, camera z = Y.
FRONTAL = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
FOCAL_PRIOR = 1.4           # focal length in units of the photo's longer side (50 mm on 36 mm)
ITERATIONS = 30
CONVERGED = 1e-3            # stop when an iteration lowers the cost by less than this share
TRACK_ITERATIONS = 4        # per video frame, starting from the previous frame
AGE_RANGE = (0.5, 1.0)      # anny's age 0.5 is about 18 years, 1.0 about 90: adults
PHENOTYPE_PRIOR = {"age": 0.667}   # anny's "young" anchor (25 years); others default to 0.5

# Regularisation weights, in units of the data term (squared residual / face width, mean over points)
REG_LOCAL = 2e-6
REG_EXPRESSION = 1e-6       # plain Gaussian on every key (keeps the solve well posed)
REG_SPARSE = 5e-7           # learned exponential prior: REG_SPARSE * sum_k e_k / scale_k
REG_SYMMETRY = 2e-6         # mirrored keys: REG_SYMMETRY * sum ((e_i - e_j) / pair_scale)^2
REG_EXPRESSION_LIKE = 0.1   # identity moving the landmarks the way expressions do, per unit of the data term
EXPRESSION_PRIOR = None     # None: the learned one (expression_prior.load()); or an ExpressionPrior
REG_PHENOTYPE = 1e-4
REG_FOCAL = 1e-3


@dataclasses.dataclass
class View:
    """One photo's part of a fit."""
    facial_actions: np.ndarray   # (52,) the photo's expression, 0..1
    rotation: np.ndarray         # (3, 3) camera-from-head (anny's raw rest frame)
    translation: np.ndarray      # (3,) metres
    focal_px: float
    focal_fixed: bool            # True when the focal length came from the photo's EXIF
    principal_point: tuple
    image_size: tuple            # (width, height)
    residual_px: float           # mean distance over the 478 points
    landmarks_px: np.ndarray     # (478, 2) the fitted model's points in the photo


@dataclasses.dataclass
class FitResult:
    phenotype: np.ndarray        # (6,)
    local_changes: np.ndarray    # (256,) signed, zero outside the head
    views: list

    def __getattr__(self, name):         # single-photo convenience: fit.rotation etc.
        views = self.__dict__.get("views")
        if views:
            return getattr(views[0], name)
        raise AttributeError(name)


class LandmarkBasis:
    """The head model restricted to mediapipe's 478 points, as numpy arrays."""

    def __init__(self, hm):
        import torch
        tri, bary = correspondence.mediapipe_embedding()
        self.hm = hm
        head_lc = hm.head_local_change_index
        self.head_lc = head_lc
        n_pheno_rows = hm.facial_action_rows[0]
        rows_lc = hm.facial_action_rows[-1] + 1 + np.stack([2 * head_lc, 2 * head_lc + 1], 1).reshape(-1)
        at_points = lambda rows: np.einsum("kpjc,pj->pkc", hm.blendshapes[rows][:, tri, :], bary)
        self.template = np.einsum("pjc,pj->pc", hm.template[tri], bary)           # (478, 3)
        self.pheno = at_points(np.arange(n_pheno_rows))                          # (478, 74, 3)
        self.expr = at_points(hm.facial_action_rows)                             # (478, 52, 3)
        self.gaze_keys = np.array([i for i, n in enumerate(hm.facial_action_labels) if n.startswith("eyeLook")])
        self.local = at_points(rows_lc)                                          # (478, 2L, 3)
        # the same, (478, 3, K) contiguous, for the Jacobians' batched matmuls
        self.pheno_t, self.expr_t, self.local_t = (np.ascontiguousarray(a.transpose(0, 2, 1))
                                                   for a in (self.pheno, self.expr, self.local))
        # and (478 * 3, K) for evaluating the shape
        self.pheno_flat, self.expr_flat, self.local_flat = (a.reshape(-1, a.shape[-1]) for a in
                                                            (self.pheno_t, self.expr_t, self.local_t))
        self.torch = torch
        m = hm.model
        self._anchors, self._mask, self._proj = m.anchors, m.stacked_phenotype_blend_shapes_mask, \
            m.phenotype_blendshape_projection
        self._labels, self._extrapolate = m.phenotype_labels, m.extrapolate_phenotypes

    def phenotype_weights(self, p, jacobian=True):
        """Compact phenotype coefficients (74,) and their Jacobian (74, 6) at p (6,).

        The map is piecewise linear in each value, so central differences in
        one batched call of anny's own function give its Jacobian.
        """
        torch = self.torch
        from anny.models.phenotype import phenotype_blendshape_weights
        p = np.asarray(p, np.float64)
        batch = [p]
        if jacobian:
            eye = np.eye(len(p)) * 1e-4
            batch += list(p + eye) + list(p - eye)
        with torch.no_grad():
            w = phenotype_blendshape_weights(torch.as_tensor(np.array(batch)), self._labels, self._anchors,
                                             self._mask, extrapolate=self._extrapolate)
            w = (w @ self._proj).numpy()
        if not jacobian:
            return w[0], None
        n = len(p)
        return w[0], ((w[1:1 + n] - w[1 + n:]) / 2e-4).T

    def points(self, p, local, expr):
        w, _ = self.phenotype_weights(p, jacobian=False)
        return self.template + np.einsum("pkc,k->pc", self.pheno, w) \
            + np.einsum("pkc,k->pc", self.local, local) + np.einsum("pkc,k->pc", self.expr, expr)


@functools.lru_cache(maxsize=1)
def basis():
    return LandmarkBasis(head_model.load())


@functools.lru_cache(maxsize=1)
def expression_like(b):
    """(52, 2L): the landmark moves of the local-change halves within the span of the expression
    keys' landmark moves (orthonormal coordinates), in the data term's units (face widths,
    root mean over the 478 points)."""
    q, _ = np.linalg.qr(b.expr_flat)
    width = float(np.ptp(b.template[:, 0]))
    return (q.T @ b.local_flat) / (width * np.sqrt(478.0))


@functools.lru_cache(maxsize=1)
def landmark_weights():
    """Per-point weights: the face outline slides along the silhouette, so it counts less;
    the irises place the eyes, so they count more."""
    from mediapipe.python.solutions.face_mesh_connections import FACEMESH_FACE_OVAL
    w = np.ones(478)
    w[sorted({i for edge in FACEMESH_FACE_OVAL for i in edge})] = 0.3
    w[468:] = 2.0
    return w


def _skew(v):
    z = np.zeros(v.shape[:-1])
    return np.stack([np.stack([z, -v[..., 2], v[..., 1]], -1),
                     np.stack([v[..., 2], z, -v[..., 0]], -1),
                     np.stack([-v[..., 1], v[..., 0], z], -1)], -2)


def _chain(G, Bt):
    """Per point (2, 3) @ (3, K) for all points: (P, 2, 3), (P, 3, K) -> (P, 2, K).
    Written as three broadcast products: much faster than numpy's batched matmul here."""
    return (G[:, :, 0, None] * Bt[:, None, 0, :] + G[:, :, 1, None] * Bt[:, None, 1, :]
            + G[:, :, 2, None] * Bt[:, None, 2, :])


def _rotation(rvec):
    import cv2
    return cv2.Rodrigues(np.asarray(rvec, np.float64))[0]


def _initial_pose(model_points, image_points, focal, centre, rotation=FRONTAL):
    """Camera-from-head pose by PnP, starting from ``rotation`` half a metre away."""
    import cv2
    cam = np.array([[focal, 0, centre[0]], [0, focal, centre[1]], [0, 0, 1]])
    rvec0, _ = cv2.Rodrigues(rotation)
    tvec0 = np.array([0.0, 0.0, 0.5]) - rotation @ model_points.mean(0)
    ok, rvec, tvec = cv2.solvePnP(model_points, image_points, cam, None, rvec0, tvec0,
                                  useExtrinsicGuess=True, flags=cv2.SOLVEPNP_ITERATIVE)
    if not ok or np.ravel(tvec)[2] <= 0:
        raise FitFailed("Could not find the head's pose in the photo.")
    return _rotation(rvec.ravel()), tvec.ravel()


class _Problem:
    """Unknowns: shared [phenotype (6), local halves (2L)] then per view
    [rotation (3, a left increment), translation (3), log focal (1), expression (52)]."""

    def __init__(self, b, views, fixed_identity=None, age=None):
        self.b = b
        self.views = views
        self.n_p = len(b.hm.phenotype_labels)
        self.n_l = b.local.shape[1]
        self.n_e = b.expr.shape[1]
        # with a fixed identity (tracking an avatar) the shared unknowns are dropped
        self.fixed = fixed_identity
        self.n_shared = 0 if fixed_identity is not None else self.n_p + self.n_l
        if fixed_identity is not None:
            w, _ = b.phenotype_weights(fixed_identity["p"], jacobian=False)
            self.fixed_shape = b.template + (b.pheno_flat @ w + b.local_flat @ fixed_identity["l"]).reshape(-1, 3)
        self.n_view = 7 + self.n_e
        # the data term is the mean over the photos, so the priors weigh the same for any count
        self.weights = np.sqrt(landmark_weights() / 478.0 / len(views))
        self.lower = np.zeros(self.n_p)
        self.upper = np.ones(self.n_p)
        k = b.hm.phenotype_labels.index("age")
        self.lower[k], self.upper[k] = AGE_RANGE if age is None else (age, age)     # a given age is kept
        self.prior = np.array([PHENOTYPE_PRIOR.get(n, 0.5) for n in b.hm.phenotype_labels])
        if age is not None:
            self.prior[k] = age
        self._expression_prior(EXPRESSION_PRIOR or expression_prior.load())

    def _expression_prior(self, ep):
        """Per view: the linear cost of each key, and the mirrored pairs' weights."""
        self.expr_linear = np.zeros(self.n_e)
        self.pairs, self.pair_weight = np.zeros((0, 2), np.int64), np.zeros(0)
        if ep is not None:
            scale = ep.scale.copy()
            if self.fixed is not None:      # tracking: a performer looks around, the photo's
                scale[self.b.gaze_keys] = 1.0   # look-into-the-camera prior does not hold
            self.expr_linear = REG_SPARSE / scale
            self.pairs, self.pair_weight = ep.pairs, np.sqrt(REG_SYMMETRY) / ep.pair_scale

    def evaluate(self, state, with_jacobian):
        """Residual vector and (optionally) Jacobian for the state dict."""
        b = self.b
        if self.fixed is not None:
            shape = self.fixed_shape
        else:
            w, dw = b.phenotype_weights(state["p"], jacobian=with_jacobian)
            shape = b.template + (b.pheno_flat @ w + b.local_flat @ state["l"]).reshape(-1, 3)
        n_cols = self.n_shared + self.n_view * len(self.views)
        rows_r, rows_j = [], []
        for v, (view, vs) in enumerate(zip(self.views, state["views"])):
            X = shape + (b.expr_flat @ vs["e"]).reshape(-1, 3)
            R, t, f = vs["R"], vs["t"], view["f0"] * np.exp(vs["logf"])
            Xc = X @ R.T + t
            z = Xc[:, 2]
            uv = f * Xc[:, :2] / z[:, None] + view["centre"]
            sw = (self.weights / view["scale"])[:, None]
            rows_r.append(((uv - view["target"]) * sw).ravel())
            if not with_jacobian:
                continue
            d = np.zeros((478, 2, 3))                       # d(uv)/d(Xc)
            d[:, 0, 0] = d[:, 1, 1] = f / z
            d[:, :, 2] = -f * Xc[:, :2] / (z * z)[:, None]
            d *= sw[:, :, None]
            G = d @ R                                       # d(uv)/d(X), (478, 2, 3)
            J = np.zeros((478, 2, n_cols))
            if self.fixed is None:
                J[:, :, :self.n_p] = _chain(G, b.pheno_t) @ dw
                J[:, :, self.n_p:self.n_shared] = _chain(G, b.local_t)
            c0 = self.n_shared + v * self.n_view
            J[:, :, c0:c0 + 3] = -d @ _skew(Xc - t)         # left increment of the rotation
            J[:, :, c0 + 3:c0 + 6] = d
            if not view["focal_fixed"]:
                J[:, :, c0 + 6] = (uv - view["centre"]) * sw
            J[:, :, c0 + 7:c0 + 7 + self.n_e] = _chain(G, b.expr_t)
            rows_j.append(J.reshape(-1, n_cols))
        r = np.concatenate(rows_r)
        return (r, np.concatenate(rows_j)) if with_jacobian else (r, None)

    def regulariser(self, state, with_jacobian=True):
        """The priors: residuals, their Jacobian (sparse, over all unknowns; None without
        ``with_jacobian``) and a linear cost (its gradient, over all unknowns): prior cost =
        r @ r + linear @ x. Every residual is linear in the unknowns, so the Jacobian does
        not depend on the state."""
        from scipy import sparse
        r, rows, cols, vals = [], [], [], []
        n_cols = self.n_shared + self.n_view * len(self.views)
        linear = np.zeros(n_cols)

        def add(res, col, val):          # residuals res with one Jacobian entry each at (col, val)
            start = sum(len(x) for x in r)
            r.append(np.ravel(res))
            if with_jacobian:
                rows.append(start + np.arange(len(r[-1])))
                cols.append(np.asarray(col))
                vals.append(np.broadcast_to(val, len(r[-1])))

        if self.fixed is None:
            add(np.sqrt(REG_PHENOTYPE) * (state["p"] - self.prior), np.arange(self.n_p), np.sqrt(REG_PHENOTYPE))
            add(np.sqrt(REG_LOCAL) * state["l"], np.arange(self.n_p, self.n_shared), np.sqrt(REG_LOCAL))
            if REG_EXPRESSION_LIKE:         # a dense block: every half against every expression direction
                m = np.sqrt(REG_EXPRESSION_LIKE) * expression_like(self.b)
                start = sum(len(x) for x in r)
                r.append(m @ state["l"])
                if with_jacobian:
                    rr, cc = np.meshgrid(start + np.arange(m.shape[0]), np.arange(self.n_p, self.n_shared),
                                         indexing="ij")
                    rows.append(rr.ravel())
                    cols.append(cc.ravel())
                    vals.append(m.ravel())
        n_pairs = len(self.pairs)
        for v, vs in enumerate(state["views"]):
            c0 = self.n_shared + v * self.n_view
            ce = c0 + 7 + np.arange(self.n_e)
            add([np.sqrt(REG_FOCAL) * vs["logf"]], [c0 + 6], np.sqrt(REG_FOCAL))
            add(np.sqrt(REG_EXPRESSION) * vs["e"], ce, np.sqrt(REG_EXPRESSION))
            linear[ce] = self.expr_linear
            if n_pairs:                 # each residual has two entries: +w at the left key, -w at the right
                e, (i, j), w = vs["e"], self.pairs.T, self.pair_weight
                start = sum(len(x) for x in r)
                r.append(w * (e[i] - e[j]))
                if with_jacobian:
                    rows.append(np.repeat(start + np.arange(n_pairs), 2))
                    cols.append(np.stack([ce[i], ce[j]], 1).ravel())
                    vals.append(np.stack([w, -w], 1).ravel())
        r = np.concatenate(r)
        if not with_jacobian:
            return r, None, linear
        J = sparse.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                              shape=(len(r), n_cols))
        return r, J, linear

    def cost(self, state):
        r, _ = self.evaluate(state, False)
        reg, _, linear = self.regulariser(state, with_jacobian=False)
        return float(r @ r + reg @ reg + linear @ self.box(state)[0])

    def box(self, state):
        """Current value and bounds of every unknown (free unknowns: infinite bounds)."""
        x, lo, hi = [state["p"], state["l"]], [self.lower, np.zeros(self.n_l)], [self.upper, np.ones(self.n_l)]
        if self.fixed is not None:
            x, lo, hi = [], [], []
        for vs in state["views"]:
            x += [np.zeros(7), vs["e"]]
            lo += [np.full(7, -np.inf), np.zeros(self.n_e)]
            hi += [np.full(7, np.inf), np.ones(self.n_e)]
        return np.concatenate(x), np.concatenate(lo), np.concatenate(hi)

    def step(self, state, delta):
        if self.fixed is not None:
            new = {"p": state["p"], "l": state["l"], "views": []}
        else:
            new = {"p": np.clip(state["p"] + delta[:self.n_p], self.lower, self.upper),
                   "l": np.clip(state["l"] + delta[self.n_p:self.n_shared], 0.0, 1.0), "views": []}
        for v, (view, vs) in enumerate(zip(self.views, state["views"])):
            d = delta[self.n_shared + v * self.n_view:self.n_shared + (v + 1) * self.n_view]
            new["views"].append({
                "R": _rotation(d[:3]) @ vs["R"], "t": vs["t"] + d[3:6],
                "logf": float(np.clip(vs["logf"] + (0.0 if view["focal_fixed"] else d[6]), -1.2, 1.2)),
                "e": np.clip(vs["e"] + d[7:], 0.0, 1.0)})
        return new


def fit(landmarks, image_size, focal_px=None, iterations=ITERATIONS, use_regressor=True):
    """Fit one photo: (478, 2) pixel landmarks of a photo of ``image_size`` (width, height)."""
    return fit_views([(landmarks, image_size, focal_px)], iterations, use_regressor)


def _start(prob, views, use_regressor):
    """The first state: the regression network's prediction when its weights are there
    (identity averaged over the photos), otherwise the average head facing the camera."""
    from . import regressor
    b = prob.b
    preds = [regressor.predict(v["target"]) for v in views] if use_regressor and regressor.available() else None
    if preds:
        p = np.clip(np.mean([q["phenotype"] for q in preds], 0), prob.lower, prob.upper)
        local = np.mean([q["local"] for q in preds], 0)
        halves = np.stack([np.maximum(local, 0), np.maximum(-local, 0)], 1).reshape(-1)
    else:
        p, halves = prob.prior.copy(), np.zeros(prob.n_l)
    state = {"p": p, "l": halves, "views": []}
    for i, view in enumerate(views):
        e = preds[i]["expression"] if preds else np.zeros(prob.n_e)
        X = b.points(p, halves, e)
        guess = FRONTAL @ _rotation(preds[i]["rotation_vector"]) if preds else FRONTAL
        R, t = _initial_pose(X, view["target"], view["f0"], view["centre"], guess)
        state["views"].append({"R": R, "t": t, "logf": 0.0, "e": e})
    return state


def _view_inputs(landmarks, image_size, focal):
    w_img, h_img = image_size
    target = np.asarray(landmarks, np.float64)
    return {"target": target, "centre": np.array([w_img / 2.0, h_img / 2.0]),
            "f0": focal or FOCAL_PRIOR * max(w_img, h_img), "focal_fixed": focal is not None,
            "scale": float(np.ptp(target[:, 0])), "image_size": (int(w_img), int(h_img))}


def _solve(prob, state, iterations):
    """Levenberg-Marquardt with an active set for the bounds; returns the final state."""
    mu = 1e-3
    cost = prob.cost(state)
    _, J_reg, _ = prob.regulariser(state)       # the priors are linear: one Jacobian for all steps
    H_reg = (J_reg.T @ J_reg).toarray()
    for _ in range(iterations):
        r, J = prob.evaluate(state, True)
        reg, _, linear = prob.regulariser(state, with_jacobian=False)
        H = J.T @ J + H_reg
        g = J.T @ r + J_reg.T @ reg + 0.5 * linear        # half the cost's gradient
        # active set: unknowns at a bound that the gradient pushes outwards stay put
        x, lo, hi = prob.box(state)
        free = ~(((x <= lo) & (g > 0)) | ((x >= hi) & (g < 0)))
        Hf, gf = H[np.ix_(free, free)], g[free]
        damping = mu * (np.diag(Hf) + 1e-9)
        improved = False
        for _ in range(6):
            try:
                delta = np.zeros_like(g)
                delta[free] = np.linalg.solve(Hf + np.diag(damping), -gf)
            except np.linalg.LinAlgError:
                delta = None
            if delta is not None:
                cand = prob.step(state, delta)
                cand_cost = prob.cost(cand)
                if np.isfinite(cand_cost) and cand_cost < cost:
                    state, improved = cand, cost - cand_cost > CONVERGED * cost
                    cost = cand_cost
                    mu = max(mu / 3, 1e-7)
                    break
            mu *= 4
            damping = mu * (np.diag(Hf) + 1e-9)
        log.debug("LM cost %.6g mu %.3g", cost, mu)
        if not improved:
            break
    return state


def _views_out(b, views, state):
    out = []
    for view, vs in zip(views, state["views"]):
        X = b.points(state["p"], state["l"], vs["e"])
        f = view["f0"] * np.exp(vs["logf"])
        uv = project(X, vs["R"], vs["t"], f, view["centre"])
        cam_z = (X @ vs["R"].T + vs["t"])[:, 2]
        if not np.isfinite(uv).all() or (cam_z <= 0).any():
            raise FitFailed("The head model could not be fitted to this photo.")
        out.append(View(
            facial_actions=vs["e"].copy(), rotation=vs["R"], translation=vs["t"], focal_px=float(f),
            focal_fixed=view["focal_fixed"], principal_point=(float(view["centre"][0]), float(view["centre"][1])),
            image_size=view["image_size"],
            residual_px=float(np.linalg.norm(uv - view["target"], axis=1).mean()),
            landmarks_px=uv.astype(np.float32)))
    return out


def fit_views(photos, iterations=ITERATIONS, use_regressor=True, age=None):
    """Fit several photos of one person: ``photos`` is a list of
    (landmarks (478, 2), image size (w, h), focal length in px or None). ``age``: anny's age
    value to keep (head_model.anny_age), instead of fitting an adult's."""
    b = basis()
    views = [_view_inputs(*p) for p in photos]
    prob = _Problem(b, views, age=age)
    state = _solve(prob, _start(prob, views, use_regressor), iterations)
    local = np.zeros(len(b.hm.local_change_labels))
    local[b.head_lc] = state["l"][0::2] - state["l"][1::2]
    return FitResult(phenotype=state["p"].copy(), local_changes=local, views=_views_out(b, views, state))


def identity_halves(local_changes):
    """anny's signed local changes (all of them) -> the fit's [increase, decrease] halves."""
    b = basis()
    head = np.asarray(local_changes, np.float64)[b.head_lc]
    return np.stack([np.maximum(head, 0), np.maximum(-head, 0)], 1).reshape(-1)


def fit_expression(landmarks, image_size, phenotype, local_halves, previous=None,
                   iterations=TRACK_ITERATIONS):
    """Pose, focal and expression of a known identity in one image (tracking): returns the
    View and the state to start the next frame from."""
    b = basis()
    view = _view_inputs(landmarks, image_size, None)
    identity = {"p": np.asarray(phenotype, np.float64), "l": np.asarray(local_halves, np.float64)}
    prob = _Problem(b, [view], fixed_identity=identity)
    if previous is None:
        state = _start(prob, [view], True)
        state["p"], state["l"] = identity["p"], identity["l"]
        X = b.points(identity["p"], identity["l"], state["views"][0]["e"])
        state["views"][0]["R"], state["views"][0]["t"] = _initial_pose(
            X, view["target"], view["f0"], view["centre"], state["views"][0]["R"])
    else:
        state = {"p": identity["p"], "l": identity["l"], "views": [dict(previous)]}
    state = _solve(prob, state, iterations)
    return _views_out(b, [view], state)[0], state["views"][0]


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
