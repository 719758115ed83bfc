"""Line to Word's grading engine: batch grading, the self-learner's check, release."""
