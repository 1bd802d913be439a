"""The Likeness tab in the 3D View sidebar."""
import bpy

from .. import preferences
from ..builders import lookups
from ..operators import identity

# The 52 ARKit keys by face region, in the order the panel shows them.
KEY_GROUPS = (
    ("Brows", "brow"), ("Eyes", "eye"), ("Cheeks", "cheek"), ("Nose", "nose"),
    ("Jaw", "jaw"), ("Mouth", "mouth"), ("Tongue", "tongue"),
)


class _SidebarTab:
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "Likeness"


class LIKENESS_PT_main(_SidebarTab, bpy.types.Panel):
    bl_label = "Likeness"

    def draw(self, context):
        layout = self.layout
        settings = context.scene.likeness
        status = context.window_manager.likeness_status
        col = layout.column(align=True)
        for i, photo in enumerate(settings.photos):
            row = col.row(align=True)
            row.prop(photo, "path", text="")
            row.operator("likeness.remove_photo", text="", icon="X").index = i
        col.operator("likeness.add_photos", icon="FILE_IMAGE")
        layout.prop(settings, "texture_size", expand=True)
        layout.prop(settings, "hair", expand=True)
        layout.prop(settings, "age", text="Age (years; 0: from the photo)")
        row = layout.row(align=True)
        row.scale_y = 1.4
        row.operator("likeness.build_avatar", icon="USER")
        if status.running:
            row.operator("likeness.cancel", text="", icon="CANCEL")
            layout.progress(factor=status.progress, type="BAR", text=status.message)
        elif status.message:
            layout.label(text=status.message, icon="INFO")


class LIKENESS_PT_crowd(_SidebarTab, bpy.types.Panel):
    bl_label = "Crowd"
    bl_parent_id = "LIKENESS_PT_main"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context):
        layout = self.layout
        crowd = context.scene.likeness.crowd
        layout.use_property_split = True
        layout.use_property_decorate = False
        layout.prop(crowd, "photos_dir")
        col = layout.column(align=True)
        col.prop(crowd, "variants")
        col.prop(crowd, "seed")
        layout.prop(crowd, "around")
        layout.prop(crowd, "layout", expand=True)
        layout.prop(crowd, "spacing")
        layout.prop(crowd, "full_body")
        layout.prop(crowd, "viewport_hair")
        layout.prop(crowd, "cluster", icon="NETWORK_DRIVE")
        row = layout.row()
        row.scale_y = 1.4
        row.operator("likeness.build_crowd", icon="COMMUNITY")
        if crowd.summary:
            box = layout.box()
            for line in _wrap(crowd.summary, 60)[:6]:
                box.label(text=line)


def _wrap(text, width):
    import textwrap
    return textwrap.wrap(text, width) or [""]


class LIKENESS_PT_runtime(_SidebarTab, bpy.types.Panel):
    bl_label = "Runtime"
    bl_parent_id = "LIKENESS_PT_main"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context):
        layout = self.layout
        st = preferences.runtime_status()
        icon = {"ready": "CHECKMARK", "outdated": "ERROR"}.get(st.state, "CANCEL")
        layout.label(text=st.state.capitalize(), icon=icon)
        for line in _wrap(st.message, 48):
            layout.label(text=line)
        if st.state == "ready":
            layout.label(text=f"Worker: {st.python}", icon="CONSOLE")
        layout.operator("likeness.install_runtime",
                        text="Reinstall Runtime" if st.state == "ready" else "Install Runtime",
                        icon="IMPORT")
        log_text = context.window_manager.likeness_status.runtime_log
        if log_text:
            box = layout.box()
            for line in log_text.splitlines()[-4:]:
                box.label(text=line[:80])


class LIKENESS_PT_expressions(_SidebarTab, bpy.types.Panel):
    bl_label = "Expressions"
    bl_parent_id = "LIKENESS_PT_main"

    @classmethod
    def poll(cls, context):
        return lookups.find_avatar_head(context) is not None

    def draw(self, context):
        layout = self.layout
        head = lookups.find_avatar_head(context)
        keys = head.data.shape_keys.key_blocks
        row = layout.row(align=True)
        row.operator("likeness.photo_expression", text="Photo Expression On").enable = True
        row.operator("likeness.photo_expression", text="Off").enable = False
        row = layout.row(align=True)
        row.operator_menu_enum("likeness.apply_expression", "preset", text="Expression", icon="MONKEY")
        row.operator("likeness.add_blink", icon="HIDE_ON")
        row = layout.row(align=True)
        row.operator("likeness.lipsync", icon="SPEAKER")
        row.operator("likeness.track_video", icon="CAMERA_DATA")
        layout.operator("likeness.talk_video", icon="FILE_MOVIE")
        layout.operator("likeness.import_livelink", icon="IMPORT")
        for title, prefix in KEY_GROUPS:
            _slider_box(layout, title, [(kb, kb.name) for kb in keys[1:] if kb.name.startswith(prefix)])


class LIKENESS_PT_identity(_SidebarTab, bpy.types.Panel):
    bl_label = "Identity"
    bl_parent_id = "LIKENESS_PT_main"
    bl_options = {"DEFAULT_CLOSED"}

    @classmethod
    def poll(cls, context):
        head = lookups.find_avatar_head(context)
        return head is not None and head.parent is not None and len(head.parent.likeness_identity.phenotype) > 0

    def draw(self, context):
        layout = self.layout
        ident = lookups.find_avatar_head(context).parent.likeness_identity
        layout.enabled = context.mode == "OBJECT"
        if not layout.enabled:
            layout.label(text="Switch to Object Mode to reshape", icon="INFO")
        _slider_box(layout, "Body Type", [(it, it.label.capitalize()) for it in ident.phenotype])
        for title, regions in identity.GROUPS:
            _slider_box(layout, title, [(it, _nice(it.label)) for it in ident.local if it.region in regions])


class LIKENESS_PT_hair(_SidebarTab, bpy.types.Panel):
    bl_label = "Hair Style"
    bl_parent_id = "LIKENESS_PT_main"
    bl_options = {"DEFAULT_CLOSED"}

    @classmethod
    def poll(cls, context):
        head = lookups.find_avatar_head(context)
        return head is not None and head.parent is not None

    def draw(self, context):
        layout = self.layout
        settings = lookups.find_avatar_head(context).parent.likeness_hair
        layout.use_property_split = True
        layout.use_property_decorate = False
        layout.prop(settings, "parting")
        layout.prop(settings, "fringe")
        row = layout.row()
        row.operator_menu_enum("likeness.hair_style", "style", text=settings.style.title(), icon="OUTLINER_OB_CURVES")


def _slider_box(layout, title, items):
    """A titled box of 'value' sliders for (owner, label) pairs; nothing when empty."""
    if not items:
        return
    box = layout.box()
    box.label(text=title)
    col = box.column(align=True)
    for owner, label in items:
        col.prop(owner, "value", text=label, slider=True)


def _nice(label):
    """'l-ear-scale-incr' -> 'Ear Scale (L)'."""
    side = ""
    if label[:2] in ("l-", "r-"):
        side, label = f" ({label[0].upper()})", label[2:]
    words = [w for w in label.split("-") if w != "incr"]
    return " ".join(w.capitalize() for w in words) + side


classes = (LIKENESS_PT_main, LIKENESS_PT_crowd, LIKENESS_PT_runtime, LIKENESS_PT_expressions, LIKENESS_PT_identity,
           LIKENESS_PT_hair)
register, unregister = bpy.utils.register_classes_factory(classes)
