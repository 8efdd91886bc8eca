"""The benchmark families live in the package (:mod:`matcher.synthetic.families`); re-exported here."""

from matcher.synthetic.families import DENSE_SIZES, FAMILIES, SIZES, TIERS, make, sizes

__all__ = ["DENSE_SIZES", "FAMILIES", "SIZES", "TIERS", "make", "sizes"]
