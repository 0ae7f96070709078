"""The rolling service-pack / update-rollup upgrade of a CCR cluster (issue 11), Qt-free."""
