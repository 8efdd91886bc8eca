"""The benchmark families live in the package (:mod:`matcher.families`); re-exported here."""

from matcher.families import DENSE_SIZES, FAMILIES, SIZES, TIERS, make, sizes

__all__ = ["DENSE_SIZES", "FAMILIES", "SIZES", "TIERS", "make", "sizes"]
