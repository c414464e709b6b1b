"""Tool packs: a small, well-chosen core of tools for each DCC.

Import one inside its DCC, or serve it: ``dcclink serve --tools
dcclink.packs.blender``. Each pack keeps to a dozen tools or so: IDEs limit
how many tools an agent sees, and a short list is easier for an agent to use
well.

Every pack has the same core, with the same arguments in every DCC:
``scene_summary``, ``list_objects``, ``create_object``, ``transform_object``,
``delete_objects``, ``set_material_color``, ``select_objects``, ``undo`` and
``redo``; a picture returned inline (``render_image`` in Blender,
``capture_viewport`` in Maya and Houdini); and an export. ``execute_python``
is off until the user switches it on (``allow_code_execution()``).

- :mod:`dcclink.packs.blender`: Blender 3.4 to 5.0, in the UI or as the
  ``bpy`` module.
- :mod:`dcclink.packs.maya`: Maya 2023 and later.
- :mod:`dcclink.packs.houdini`: Houdini 20 and later (the objects in
  ``/obj``).
"""
