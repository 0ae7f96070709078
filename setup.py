"""Packages for setuptools (the rest of the metadata is in pyproject.toml).

The icons and Designer forms live at the top of the repository (resources/, ui/); an installed
copy carries them inside the package as ccrgui/resources and ccrgui/ui, where the GUI looks too.
Every folder that ends up in the wheel is listed as a package (data-only ones included), so
setuptools neither drops one nor warns about one it would have to guess.
"""

from setuptools import find_packages, setup

DATA_PACKAGES = {
    "ccrgui.resources": "resources",
    "ccrgui.resources.icons": "resources/icons",
    "ccrgui.ui": "ui",
}

setup(
    packages=[*find_packages(include=["ccrgui", "ccrgui.*"]), *DATA_PACKAGES],
    package_dir=DATA_PACKAGES,
)
