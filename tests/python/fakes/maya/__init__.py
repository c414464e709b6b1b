"""A fake of the parts of Maya's Python API dcclink uses (see ../README.md)."""
