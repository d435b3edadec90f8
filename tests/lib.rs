//! One integration-test binary (faster to link than many): each module checks one part.
//! Case counts of property tests: `QUICKCHECK_TESTS` (default 100).
