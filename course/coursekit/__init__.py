"""Support code for the minigrad course: plots, surfaces, trajectories, widgets, data and exercise checks."""
