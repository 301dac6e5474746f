"""What the canvas draws: the points (scatter or raster), their colours and
palette, background layers, centroid trails and the teaching overlays."""
