"""Type aliases shared across the library."""

from __future__ import annotations

from typing import Literal, TypeAlias

import numpy as np
import numpy.typing as npt

FloatArray: TypeAlias = npt.NDArray[np.float64]
ArrayLike: TypeAlias = npt.ArrayLike
OptionKind: TypeAlias = Literal["call", "put"]
RandomState: TypeAlias = "int | np.random.Generator | np.random.SeedSequence | None"
