"""Running the tool: the model registry, training, background jobs, first start, the
administrator's sign-in, actions and audit log."""
