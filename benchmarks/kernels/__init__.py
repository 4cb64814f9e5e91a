"""Speed kernels of the supernets: fused edges, mix plans, pooling, concat, depthwise, compile."""
