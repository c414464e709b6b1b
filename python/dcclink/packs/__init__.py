"""Tool packs: a small, well-chosen core of tools for each DCC.

Import one inside its DCC, or serve it: ``dcclink serve --tools
dcclink.packs.blender``. Each pack keeps to a dozen tools or so: IDEs limit
how many tools an agent sees, and a short list is easier for an agent to use
well.

- :mod:`dcclink.packs.blender`: Blender 3.4 to 5.0, in the UI or as the
  ``bpy`` module.
"""
