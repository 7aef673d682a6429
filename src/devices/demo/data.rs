//! One service call's data, read the way Home Assistant's service schemas read it: typed
//! fields, ranges, and no keys the service does not take. Every error names the entity and
//! the service, so a caller can tell the user (or the model) exactly what was wrong.

use std::ops::RangeInclusive;

use serde_json::Value;

use crate::devices::{DeviceError, ServiceCall};

/// The data of one call, with the call kept for error messages.
pub(super) struct Data<'a> {
    call: &'a ServiceCall,
}

impl<'a> Data<'a> {
    /// Wraps `call`.
    pub(super) fn new(call: &'a ServiceCall) -> Self {
        Data { call }
    }

    /// The service asked for, without its domain.
    pub(super) fn service(&self) -> &'a str {
        &self.call.service
    }

    /// Refuses keys outside `allowed`: a stray key is usually a mistake the caller should see
    /// (Home Assistant answers "extra keys not allowed" too).
    pub(super) fn only(&self, allowed: &[&str]) -> Result<(), DeviceError> {
        match self
            .call
            .data
            .keys()
            .find(|k| !allowed.contains(&k.as_str()))
        {
            Some(key) => Err(self.bad(format!("takes no `{key}`"))),
            None => Ok(()),
        }
    }

    /// The number at `key`, if given, within `range`.
    pub(super) fn number(
        &self,
        key: &str,
        range: RangeInclusive<f64>,
    ) -> Result<Option<f64>, DeviceError> {
        let Some(value) = self.call.data.get(key) else {
            return Ok(None);
        };
        let Some(n) = value.as_f64() else {
            return Err(self.bad(format!("{key} must be a number, not {value}")));
        };
        if !range.contains(&n) {
            let (lo, hi) = (range.start(), range.end());
            return Err(self.bad(format!("{key} {value} is outside {lo}..={hi}")));
        }
        Ok(Some(n))
    }

    /// The whole number at `key`, if given, within `range`.
    pub(super) fn whole(
        &self,
        key: &str,
        range: RangeInclusive<u8>,
    ) -> Result<Option<u8>, DeviceError> {
        let wide = f64::from(*range.start())..=f64::from(*range.end());
        match self.number(key, wide)? {
            // In range and whole, so the cast is exact.
            Some(n) if n.fract() == 0.0 => Ok(Some(n as u8)),
            Some(n) => Err(self.bad(format!("{key} must be a whole number, not {n}"))),
            None => Ok(None),
        }
    }

    /// The text at `key`, if given.
    pub(super) fn text(&self, key: &str) -> Result<Option<&'a str>, DeviceError> {
        match self.call.data.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(self.bad(format!("{key} must be text, not {other}"))),
        }
    }

    /// `value`, or an error saying `key` is needed.
    pub(super) fn needed<T>(&self, key: &str, value: Option<T>) -> Result<T, DeviceError> {
        value.ok_or_else(|| self.bad(format!("needs {key}")))
    }

    /// The value given at `key`, as given (a setpoint keeps its integer or float form).
    pub(super) fn raw(&self, key: &str) -> Option<&'a Value> {
        self.call.data.get(key)
    }

    /// The error for data that is wrong: `light.kitchen turn_on: …`.
    pub(super) fn bad(&self, message: String) -> DeviceError {
        DeviceError::BadData(format!(
            "{} {}: {message}",
            self.call.entity_id, self.call.service
        ))
    }

    /// The error for a service the entity's domain does not have.
    pub(super) fn unknown(&self) -> DeviceError {
        DeviceError::UnknownService {
            entity: self.call.entity_id.clone(),
            service: self.call.service.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call() -> ServiceCall {
        ServiceCall::new("cover.x", "set_cover_position")
    }

    #[test]
    fn numbers_are_checked_for_type_and_range_and_name_the_entity() {
        let c = call().with("position", -3).with("name", "x");
        let data = Data::new(&c);
        let err = data.whole("position", 0..=100).unwrap_err().to_string();
        assert_eq!(
            err,
            "cover.x set_cover_position: position -3 is outside 0..=100"
        );
        let err = data.number("name", 0.0..=1.0).unwrap_err().to_string();
        assert!(err.contains("name must be a number"), "{err}");
        assert_eq!(data.number("missing", 0.0..=1.0).unwrap(), None);
    }

    #[test]
    fn whole_numbers_refuse_fractions() {
        let c = call().with("position", 50.5);
        let err = Data::new(&c).whole("position", 0..=100).unwrap_err();
        assert!(err.to_string().contains("whole number"), "{err}");
        let c = call().with("position", 40);
        assert_eq!(Data::new(&c).whole("position", 0..=100).unwrap(), Some(40));
    }

    #[test]
    fn only_refuses_stray_keys() {
        let c = call().with("position", 1).with("speed", 2);
        let data = Data::new(&c);
        assert!(data.only(&["position", "speed"]).is_ok());
        let err = data.only(&["position"]).unwrap_err().to_string();
        assert_eq!(err, "cover.x set_cover_position: takes no `speed`");
    }
}
