//! Range-checked (de)serializers for config values, so an out-of-range number is rejected
//! while parsing and the error carries the key path, line and column of the value.

use std::time::Duration;

use serde::de::{Error, Unexpected};
use serde::{Deserialize, Deserializer, Serializer};

/// An integer in `MIN..=MAX`.
pub(super) fn int<'de, D, T, const MIN: u64, const MAX: u64>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<u64>,
{
    let expected = format!("an integer {MIN}..={MAX}");
    let v = u64::deserialize(d).map_err(|_| D::Error::custom(format!("expected {expected}")))?;
    if !(MIN..=MAX).contains(&v) {
        return Err(D::Error::invalid_value(
            Unexpected::Unsigned(v),
            &expected.as_str(),
        ));
    }
    T::try_from(v).map_err(|_| D::Error::custom(format!("expected {expected}")))
}

/// A number in `MIN_MILLI/1000 ..= MAX_MILLI/1000` (const generics cannot be floats).
pub(super) fn float<'de, D, const MIN_MILLI: i64, const MAX_MILLI: i64>(
    d: D,
) -> Result<f32, D::Error>
where
    D: Deserializer<'de>,
{
    let (min, max) = (MIN_MILLI as f64 / 1000.0, MAX_MILLI as f64 / 1000.0);
    let expected = format!("a number {min}..={max}");
    let v = f64::deserialize(d).map_err(|_| D::Error::custom(format!("expected {expected}")))?;
    if !(min..=max).contains(&v) {
        return Err(D::Error::invalid_value(
            Unexpected::Float(v),
            &expected.as_str(),
        ));
    }
    Ok(v as f32)
}

/// Whole seconds in `MIN..=MAX`, as a [`Duration`].
pub(super) fn secs<'de, D, const MIN: u64, const MAX: u64>(d: D) -> Result<Duration, D::Error>
where
    D: Deserializer<'de>,
{
    int::<D, u64, MIN, MAX>(d).map(Duration::from_secs)
}

/// Whole milliseconds in `MIN..=MAX`, as a [`Duration`].
pub(super) fn millis<'de, D, const MIN: u64, const MAX: u64>(d: D) -> Result<Duration, D::Error>
where
    D: Deserializer<'de>,
{
    int::<D, u64, MIN, MAX>(d).map(Duration::from_millis)
}

/// Writes a [`Duration`] back as whole seconds (for `config check --print`).
pub(super) fn ser_secs<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_secs())
}

/// Writes a [`Duration`] back as whole milliseconds.
pub(super) fn ser_millis<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_millis() as u64)
}

/// Writes an `f32` as the shortest decimal that reads back the same (0.7, not 0.699999988).
pub(super) fn ser_f32<S: Serializer>(v: &f32, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(format!("{v}").parse::<f64>().unwrap_or(f64::from(*v)))
}
