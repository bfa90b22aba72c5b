"""micrograder: generate the micrograd course from its reference solution and grade submissions."""
