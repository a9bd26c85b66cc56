//! Tests of catalog loading: the embedded page, JSON round trip, errors.
