"""Where: which H3 cells to flag for the week ahead (grid, panel, models, flagging, forecast,
evaluation). `forecast` and `evaluation` are peers: the evaluation imports the forecast's
training function, never the other way round."""
