"""The numpy reference implementation of every graded function of Line to Word."""
