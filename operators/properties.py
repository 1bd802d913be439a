"""Settings the panel edits (saved with the .blend) and the live job status (not saved)."""
import bpy


class LikenessPhoto(bpy.types.PropertyGroup):
    path: bpy.props.StringProperty(
        name="Photo", description="A photo of the person: front, three-quarter or profile",
        subtype="FILE_PATH", default="")


class LikenessCrowdSettings(bpy.types.PropertyGroup):
    photos_dir: bpy.props.StringProperty(
        name="Photo Folder", subtype="DIR_PATH", default="",
        description="One character per photo of this folder; photos that fail are skipped and listed")
    variants: bpy.props.IntProperty(
        name="Variants", min=0, soft_max=200, max=10000, default=0,
        description="Random, plausible characters to add (or variants of the Base Photo when one is set)")
    seed: bpy.props.IntProperty(
        name="Seed", min=0, default=0,
        description="The same seed gives the same crowd, whatever its size or how it is split")
    around: bpy.props.StringProperty(
        name="Base Photo", subtype="FILE_PATH", default="",
        description="Variants become relatives of this photo's avatar instead of random characters")
    layout: bpy.props.EnumProperty(
        name="Layout", description="Where the characters stand",
        items=[("GRID", "Grid", "Rows and columns, in order"),
               ("SCATTER", "Scatter", "A jittered grid with random turns, seeded")],
        default="GRID")
    spacing: bpy.props.FloatProperty(
        name="Spacing", subtype="DISTANCE", unit="LENGTH", min=0.2, soft_max=3.0, default=0.6,
        description="Distance between neighbouring characters")
    full_body: bpy.props.BoolProperty(
        name="Full Body", default=False,
        description="Give each character a body, a simple outfit and a game-engine skeleton")
    viewport_hair: bpy.props.BoolProperty(
        name="Hair in Viewport", default=False,
        description="Grow every character's hair curves in the viewport too. Off, the hair renders "
                    "as usual and the viewport shows its guide strands: a crowd builds several times "
                    "faster and takes a fraction of the memory")
    cluster: bpy.props.StringProperty(
        name="Cluster", default="",
        description="Make the characters on a Dask cluster: its scheduler's address, tcp://HOST:8786 "
                    "(each worker machine runs `dask worker` with Likeness' cluster_preload.py), or "
                    "local:N for N worker processes on this computer. Empty: this computer's worker")
    summary: bpy.props.StringProperty(
        name="Summary", default="",
        description="The last crowd's outcome: characters made and photos skipped")


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
    age: bpy.props.FloatProperty(
        name="Age", min=0.0, max=100.0, soft_max=20.0, default=0.0, precision=1,
        description="The person's age in years (the head's proportions follow it). 0: found from the photo, "
                    "a young child's when the face's proportions say so, otherwise an adult's")
    crowd: bpy.props.PointerProperty(type=LikenessCrowdSettings, name="Crowd")


class LikenessStatus(bpy.types.PropertyGroup):
    running: bpy.props.BoolProperty(default=False)
    progress: bpy.props.FloatProperty(min=0.0, max=1.0, default=0.0, subtype="FACTOR")
    message: bpy.props.StringProperty(default="")
    runtime_log: bpy.props.StringProperty(default="")


classes = (LikenessPhoto, LikenessCrowdSettings, LikenessSettings, LikenessStatus)
_register, _unregister = bpy.utils.register_classes_factory(classes)


def register():
    _register()
    bpy.types.Scene.likeness = bpy.props.PointerProperty(type=LikenessSettings)
    bpy.types.WindowManager.likeness_status = bpy.props.PointerProperty(type=LikenessStatus)


def unregister():
    del bpy.types.WindowManager.likeness_status
    del bpy.types.Scene.likeness
    _unregister()
