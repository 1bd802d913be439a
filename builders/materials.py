"""Materials: Principled BSDF looks per part, and the texture images, packed into the file
and shared between avatars whose images have the same bytes."""
import hashlib
import struct

import bpy

from ..core.errors import InvalidResult
from .compat import material_nodes


def principled(mat):
    """The Principled BSDF of a material's node tree (``material_nodes``)."""
    return material_nodes(mat).nodes.get("Principled BSDF")


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _png_size(data):
    """(width, height) from a PNG's header, or None when ``data`` does not start as a PNG."""
    if len(data) < 24 or not data.startswith(PNG_SIGNATURE) or data[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", data[16:24])


def load_image(path, t, data=None):
    """Load and pack an image (from ``data``, the file's bytes, when already read); None when
    Blender cannot read it. A PNG given as ``data`` is checked by its header: decoding a 2K
    texture only to see that it loads cost 0.1 s, and Blender decodes it when it is drawn."""
    size = _png_size(data) if data is not None else None
    if data is not None and not (size and min(size) > 0):
        return None
    img = t.add(bpy.data.images.load(path, check_existing=False))
    if size is None and img.size[0] == 0:
        return None
    if data is None:
        img.pack()
    else:
        img.pack(data=data, data_len=len(data))
    return img


def _texture_image(path, name, t):
    """The image of a texture file, shared with any avatar whose file has the same bytes (the
    roughness map is the same for all; a crowd variant's photo-lit texture is its albedo)."""
    with open(path, "rb") as fh:
        data = fh.read()
    digest = hashlib.sha1(data).hexdigest()
    same = next((img for img in bpy.data.images if img.get(IMAGE_HASH) == digest), None)
    if same is not None:
        return same
    img = load_image(path, t, data)
    if img is None:
        raise InvalidResult(f"The avatar's texture cannot be read: {path}")
    img.name = name
    img[IMAGE_HASH] = digest
    return img


IMAGE_HASH = "likeness_sha1"


# Principled BSDF settings per material: roughness, subsurface weight, and a flat colour for
# materials without a texture.
MATERIAL_LOOK = {"skin": (0.45, 0.15, None), "eyes": (0.3, 0.0, None),
                 "tongue": (0.35, 0.2, (0.55, 0.22, 0.22, 1.0)), "teeth": (0.25, 0.05, (0.80, 0.76, 0.66, 1.0)),
                 "cornea": (0.0, 0.0, (0.0, 0.0, 0.0, 1.0)),
                 "body": (0.45, 0.15, (0.8, 0.6, 0.5, 1.0)), "shoes": (0.35, 0.0, (0.05, 0.05, 0.05, 1.0)),
                 **{cloth: (0.8, 0.0, (0.5, 0.5, 0.5, 1.0)) for cloth in ("top", "trousers", "skirt")}}
SHARED_MATERIALS = ("tongue", "teeth", "cornea")   # flat looks, shared by every avatar in the file
CORNEA_IOR = 1.376
CORNEA_ALPHA = 0.25       # a black, glossy film: a highlight and no haze


def add_materials(ob, res, name, t):
    """Skin and eyes read the albedo atlas; the skin can blend to the photo-lit texture
    (the 'Photo Lighting' factor) and has roughness and detail-normal maps. Tongue: a flat
    colour. Texture nodes sit in a frame."""
    images = {key: _texture_image(path, f"{name}_{key}", t) for key, path in res.image_paths.items()}
    for key in ("roughness", "normal"):
        images[key].colorspace_settings.name = "Non-Color"
    colours = res.arrays.get("material_colours")        # full bodies: skin tone, outfit colours
    for i, mname in enumerate(res.material_names):
        roughness, subsurface, flat = MATERIAL_LOOK.get(str(mname), (0.5, 0.0, (0.8, 0.8, 0.8, 1.0)))
        coloured = colours is not None and colours[i, 3] > 0
        if coloured:
            flat = tuple(float(c) for c in colours[i])
        shared = mname in SHARED_MATERIALS and not coloured    # the same look on every avatar
        if shared and shared_material_name(mname) in bpy.data.materials:
            ob.data.materials.append(bpy.data.materials[shared_material_name(mname)])
            continue
        mat = t.add(bpy.data.materials.new(shared_material_name(mname) if shared else f"{name}_{mname}"))
        bsdf = principled(mat)
        bsdf.inputs["Roughness"].default_value = roughness
        bsdf.inputs["Subsurface Weight"].default_value = subsurface
        if subsurface:
            bsdf.inputs["Subsurface Radius"].default_value = (1.0, 0.35, 0.2)
            bsdf.inputs["Subsurface Scale"].default_value = 0.004      # metres: skin scatters a few mm
        if mname == "cornea":
            # clear by alpha rather than transmission: the painted iris shows through in
            # Cycles, EEVEE (no ray-traced refraction needed) and glTF viewers alike, and
            # the glossy surface keeps the eye's highlight
            bsdf.inputs["Alpha"].default_value = CORNEA_ALPHA
            bsdf.inputs["IOR"].default_value = CORNEA_IOR
        if flat is not None:
            bsdf.inputs["Base Color"].default_value = flat
        else:
            _texture_nodes(mat, bsdf, images, skin=mname == "skin")
        ob.data.materials.append(mat)


def shared_material_name(mname):
    return f"Likeness_{mname}"


def _image_node(nodes, frame, name, label, image, location):
    node = nodes.new("ShaderNodeTexImage")
    node.name, node.label, node.image = name, label, image
    node.location, node.parent = location, frame
    return node


def _texture_nodes(mat, bsdf, images, skin):
    nodes, links = mat.node_tree.nodes, mat.node_tree.links
    frame = nodes.new("NodeFrame")
    frame.name = frame.label = "Likeness Textures"
    tex = _image_node(nodes, frame, "Albedo", "Albedo (lighting removed)", images["albedo"], (-700, 300))
    color = tex.outputs["Color"]
    if skin:
        rough = _image_node(nodes, frame, "Roughness", "Roughness by region", images["roughness"], (-700, -300))
        links.new(rough.outputs["Color"], bsdf.inputs["Roughness"])
        normal_tex = _image_node(nodes, frame, "Detail Normal", "Detail normals", images["normal"], (-700, -600))
        normal_map = nodes.new("ShaderNodeNormalMap")
        normal_map.name = normal_map.label = "Detail Normal Strength"
        normal_map.inputs["Strength"].default_value = 0.2
        normal_map.location = (-350, -600)
        links.new(normal_tex.outputs["Color"], normal_map.inputs["Color"])
        links.new(normal_map.outputs["Normal"], bsdf.inputs["Normal"])
        tex_lit = _image_node(nodes, frame, "Photo Lit", "Photo-lit texture", images["lit"], (-700, 0))
        mix = nodes.new("ShaderNodeMix")
        mix.data_type = "RGBA"
        mix.name = mix.label = "Photo Lighting"
        mix.inputs["Factor"].default_value = 0.0
        mix.location = (-350, 200)
        links.new(tex.outputs["Color"], mix.inputs["A"])
        links.new(tex_lit.outputs["Color"], mix.inputs["B"])
        color = mix.outputs["Result"]
    links.new(color, bsdf.inputs["Base Color"])


