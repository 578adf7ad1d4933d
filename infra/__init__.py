"""The CDK app of the side-conversations service: one stack composed of one construct per capability."""
