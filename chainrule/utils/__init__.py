"""Utilities at PyTorch's paths: ``chainrule.utils.tensorboard.SummaryWriter``."""
