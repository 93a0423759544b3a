"""The county integrators' kit: schemas, the contract in words, vectors, the offline check."""
