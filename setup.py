"""Packages for setuptools (the rest of the metadata is in pyproject.toml).

The icons and Designer forms live at the top of the repository (resources/, ui/); an installed
copy carries them inside the package as ccrgui/resources and ccrgui/ui, where the GUI looks too.
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["ccrgui", "ccrgui.*"]), "ccrgui.resources", "ccrgui.ui"],
    package_dir={"ccrgui.resources": "resources", "ccrgui.ui": "ui"},
)
