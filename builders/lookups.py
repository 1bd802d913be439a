"""Finding a Likeness avatar's parts in the scene: what the builders, operators and panels
ask of an avatar that is already built (kept apart so that no builder imports another to ask)."""

AVATAR_TAG = "likeness_avatar"          # custom property on the rig and head objects


def avatar_head(rig):
    """The head mesh among a rig's children (the hair cards are meshes too)."""
    return next(c for c in rig.children if c.type == "MESH" and c.get(AVATAR_TAG))


def find_avatar_head(context):
    """The head mesh of the active avatar (active object, its parent or its children)."""
    ob = context.active_object
    if ob is None:
        return None
    candidates = [ob, ob.parent] + list(ob.children) + (list(ob.parent.children) if ob.parent else [])
    for c in candidates:
        if c is not None and c.type == "MESH" and c.get(AVATAR_TAG) and c.data.shape_keys:
            return c
    return None


def avatar_poll(cls, context):
    """poll() for operators that act on the selected avatar, with the reason when greyed out."""
    if find_avatar_head(context) is None:
        cls.poll_message_set("Select a Likeness avatar")
        return False
    return True
