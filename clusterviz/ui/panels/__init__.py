"""The panels beside the canvas and the docks: run controls, teaching
controls, objective plot, inspector, Choosing K, restarts, k-means++ seeding."""
