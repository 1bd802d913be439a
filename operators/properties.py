"""Settings the panel edits (saved with the .blend) and the live job status (not saved)."""
import bpy


class LikenessPhoto(bpy.types.PropertyGroup):
    path: bpy.props.StringProperty(
        name="Photo", description="A photo of the person: front, three-quarter or profile",
        subtype="FILE_PATH", default="")


class LikenessSettings(bpy.types.PropertyGroup):
    photos: bpy.props.CollectionProperty(
        type=LikenessPhoto, name="Photos",
        description="Photos of one person; more photos from other angles give a better identity")
    texture_size: bpy.props.EnumProperty(
        name="Texture Size", description="Width and height of the face texture in pixels",
        items=[("1024", "1K", "1024 x 1024"), ("2048", "2K", "2048 x 2048"),
               ("4096", "4K", "4096 x 4096")],
        default="2048")
    hair: bpy.props.EnumProperty(
        name="Hair", description="The hair grown from the photo's hair (its colour, length and volume)",
        items=[("CURVES", "Curves", "Blender hair curves with the Essentials hair node groups, for rendering"),
               ("CARDS", "Cards", "Textured hair cards, a light mesh that glTF and FBX carry to game engines"),
               ("NONE", "None", "No hair")],
        default="CURVES")


class LikenessStatus(bpy.types.PropertyGroup):
    running: bpy.props.BoolProperty(default=False)
    progress: bpy.props.FloatProperty(min=0.0, max=1.0, default=0.0, subtype="FACTOR")
    message: bpy.props.StringProperty(default="")
    runtime_log: bpy.props.StringProperty(default="")


classes = (LikenessPhoto, LikenessSettings, LikenessStatus)
_register, _unregister = bpy.utils.register_classes_factory(classes)


def register():
    _register()
    bpy.types.Scene.likeness = bpy.props.PointerProperty(type=LikenessSettings)
    bpy.types.WindowManager.likeness_status = bpy.props.PointerProperty(type=LikenessStatus)


def unregister():
    del bpy.types.WindowManager.likeness_status
    del bpy.types.Scene.likeness
    _unregister()
