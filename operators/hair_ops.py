"""The hairstyle on an avatar: the library's style, parting and fringe kept on the rig (the
panel shows them), and the operator that regrows the hair for a chosen style."""
import logging

import bpy

from ..builders import hair_restyle, lookups
from ..core import errors, hair_styles

log = logging.getLogger(__name__)

STYLE_ITEMS = [(n, n.title(), f"Grow the library's {n} style") for n in hair_styles.NAMES]
PARTING_ITEMS = [(p, p.title(), f"Parting: {p} (the subject's side)") for p in hair_styles.PARTINGS]
FRINGE_ITEMS = [(f, f.title(), f"Fringe over the forehead: {f}") for f in hair_styles.FRINGES]


class LikenessHairSettings(bpy.types.PropertyGroup):
    style: bpy.props.EnumProperty(name="Style", items=STYLE_ITEMS, default="short crop",
                                  description="The avatar's hairstyle from the Likeness library")
    parting: bpy.props.EnumProperty(name="Parting", items=PARTING_ITEMS, default="none",
                                    description="Where the hair parts; applies when the style is regrown")
    fringe: bpy.props.EnumProperty(name="Fringe", items=FRINGE_ITEMS, default="none",
                                   description="How much of the forehead a fringe covers; applies when the style is regrown")


def _rig(context):
    head = lookups.find_avatar_head(context)
    return head.parent if head is not None else None


class LIKENESS_OT_hair_style(bpy.types.Operator):
    """Regrow the avatar's hair in a style from the library, on the head as it is now, keeping its colour and form (curves or cards)"""
    bl_idname = "likeness.hair_style"
    bl_label = "Hair Style"
    bl_options = {"REGISTER", "UNDO"}

    style: bpy.props.EnumProperty(name="Style", items=STYLE_ITEMS, description="The library's hairstyle to grow")
    parting: bpy.props.EnumProperty(name="Parting", items=PARTING_ITEMS,
                                    description="Where the hair parts (default: the avatar's)")
    fringe: bpy.props.EnumProperty(name="Fringe", items=FRINGE_ITEMS,
                                   description="How much of the forehead a fringe covers (default: the avatar's)")

    @classmethod
    def poll(cls, context):
        if not lookups.avatar_poll(cls, context):
            return False
        if _rig(context) is None:
            cls.poll_message_set("The avatar has no rig to grow hair on")
            return False
        if context.mode != "OBJECT":
            cls.poll_message_set("Switch to Object Mode to change the hairstyle")
            return False
        return True

    def execute(self, context):
        rig = _rig(context)
        settings = rig.likeness_hair
        for prop in ("style", "parting", "fringe"):
            if not self.properties.is_property_set(prop):
                setattr(self, prop, getattr(settings, prop))
        try:
            hair_restyle.restyle(context, rig, self.style, self.parting, self.fringe)
        except errors.LikenessError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        except Exception as exc:  # noqa: BLE001 - a short report; the traceback goes to the log
            log.exception("Likeness could not change the hairstyle")
            self.report({"ERROR"}, f"Could not change the hairstyle: {exc}")
            return {"CANCELLED"}
        self.report({"INFO"}, f"Hair: {self.style}")
        return {"FINISHED"}


classes = (LikenessHairSettings, LIKENESS_OT_hair_style)
_register, _unregister = bpy.utils.register_classes_factory(classes)


def register():
    _register()
    bpy.types.Object.likeness_hair = bpy.props.PointerProperty(type=LikenessHairSettings)


def unregister():
    del bpy.types.Object.likeness_hair
    _unregister()
