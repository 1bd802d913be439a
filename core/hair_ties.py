"""Tied hair: strands gathered over the scalp to a tie point at the back of the head, then
falling from it (a ponytail) or coiled round a compact ball (a bun). The head's frame as in
core.hair_strands (metres, Z up, the face towards -Y)."""
import numpy as np

GATHER_POINTS = 7              # root .. tie point; the rest of a guide's points hang from the tie
TIE_JITTER_M = 0.004           # strands meet within this of the tie point
PONYTAIL_BACK_M = 0.04         # a ponytail juts this far back before it falls
PONYTAIL_SPREAD_M = 0.015      # ... and fans this wide at its tip
BUN_RADIUS_M = 0.035
BUN_TURNS = 1.2


def tied(roots, tie, centre, style, hem_z, skull, rng, points=16):
    """(n, points, 3) strands from ``roots`` (n, 3) on the skin to ``tie`` (3,) over the
    skull (``skull``: (cKDTree of its skin vertices, those vertices, their normals); the
    gathered hair keeps ``style.volume_m`` off it at most), then a ponytail falling to
    ``hem_z`` or a bun's coil, by ``style.tie``."""
    n = len(roots)
    end = tie + rng.normal(0.0, TIE_JITTER_M / 2, (n, 3))
    gathered = _over_skull(roots, end, centre, style.volume_m, skull)
    hang = points - GATHER_POINTS
    if style.tie == "ponytail":
        tail = _ponytail(end, max(tie[2] - hem_z, 0.08), hang, rng)
    else:
        tail = _bun(end, tie, centre, hang, rng)
    return np.concatenate([gathered, tail], 1)


def _over_skull(roots, ends, centre, volume_m, skull):
    """Paths of GATHER_POINTS from each root to its end round the head's ``centre`` (angles
    interpolated, radius linear), pushed off the skin."""
    a, b = roots - centre, ends - centre
    ra, rb = np.linalg.norm(a, axis=1, keepdims=True), np.linalg.norm(b, axis=1, keepdims=True)
    ua, ub = a / ra, b / rb
    theta = np.arccos(np.clip((ua * ub).sum(1, keepdims=True), -1.0, 1.0))
    t = np.linspace(0.0, 1.0, GATHER_POINTS)[None, :, None]
    sin = np.maximum(np.sin(theta), 1e-6)[:, None]
    th = theta[:, None]
    u = (np.sin((1 - t) * th) / sin) * ua[:, None] + (np.sin(t * th) / sin) * ub[:, None]
    u /= np.linalg.norm(u, axis=2, keepdims=True)
    path = centre + u * ((1 - t) * ra[:, None] + t * rb[:, None])
    tree, verts, normals = skull
    lift = 0.004 + min(volume_m, 0.01) * np.sin(np.pi * t[..., 0])      # hair on the head, flat-ish
    inner = path[:, 1:-1].reshape(-1, 3)
    want = np.repeat(lift[:, 1:-1], len(path), 0).ravel()
    for _ in range(2):
        _, i = tree.query(inner)
        gap = ((inner - verts[i]) * normals[i]).sum(1)
        inner = inner + normals[i] * np.maximum(want - gap, 0.0)[:, None]
    path[:, 1:-1] = inner.reshape(len(path), -1, 3)
    return path


def _ponytail(start, length, count, rng):
    """Strands from ``start`` (n, 3): back a little, then down ``length`` under gravity,
    fanning out."""
    n = len(start)
    s = np.linspace(0.0, 1.0, count + 1)[1:][None, :]
    down = length * s
    back = PONYTAIL_BACK_M * (1 - np.exp(-down / 0.04)) * (1 - 0.3 * s)
    fan = rng.normal(0.0, PONYTAIL_SPREAD_M, (n, 1, 2)) * (s ** 0.7)[..., None]
    return start[:, None] + np.stack(np.broadcast_arrays(fan[..., 0], back + fan[..., 1], -down), -1)


def _bun(start, tie, centre, count, rng):
    """Strands from ``start`` (n, 3) coiled round a ball sitting on the head at ``tie``."""
    n = len(start)
    out = (tie - centre) / np.linalg.norm(tie - centre)
    ball = tie + out * BUN_RADIUS_M
    axis = rng.normal(size=(n, 3))
    axis -= (axis @ out)[:, None] * out                           # coils round axes across the tie's normal
    axis /= np.linalg.norm(axis, axis=1, keepdims=True)
    w = np.cross(axis, -out)
    radius = BUN_RADIUS_M * rng.uniform(0.55, 1.0, (n, 1))
    phi = 2 * np.pi * BUN_TURNS * np.linspace(0.0, 1.0, count + 1)[1:][None, :]
    ring = -out * np.cos(phi)[..., None] + w[:, None] * np.sin(phi)[..., None]
    return ball + (start - tie)[:, None] + radius[..., None] * ring + (BUN_RADIUS_M - radius)[..., None] * -out
