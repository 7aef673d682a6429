//! The two encodings command classes share: PSS-prefixed numbers and transition durations.

use std::time::Duration;

use super::CcError;

/// A number sent as `PSS value`: PSS = precision<<5 · scale<<3 · size (CC spec 2.2, "Sensor
/// Multilevel Report" field encoding; zwave-js `packages/core/src/values/Primitive.ts`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Value {
    /// The number: the signed big-endian integer divided by 10^precision.
    pub value: f64,
    /// Decimal places sent.
    pub precision: u8,
    /// The unit, per type (0 °C, 1 °F for air temperature; Meter adds a third bit).
    pub scale: u8,
}

impl Value {
    /// Decodes `PSS value…` from the start of `bytes`, with the bytes it took; `None` when
    /// `bytes` is too short.
    pub fn decode(bytes: &[u8]) -> Option<Result<(Value, usize), CcError>> {
        let (&pss, rest) = bytes.split_first()?;
        let size = pss & 0x07;
        if !matches!(size, 1 | 2 | 4) {
            return Some(Err(CcError::BadSize(size)));
        }
        let raw = rest.get(..usize::from(size))?;
        let precision = pss >> 5;
        let value = Value {
            value: scaled(raw, precision),
            precision,
            scale: (pss >> 3) & 0x03,
        };
        Some(Ok((value, 1 + usize::from(size))))
    }
}

/// `PSS value` for `value` with `precision` decimals in `scale`, in two bytes; `None` when
/// it does not fit (or is not a number).
pub fn encode(value: f64, precision: u8, scale: u8) -> Option<[u8; 3]> {
    let int = (value * 10f64.powi(i32::from(precision))).round();
    if !(f64::from(i16::MIN)..=f64::from(i16::MAX)).contains(&int) {
        return None;
    }
    let [hi, lo] = (int as i16).to_be_bytes();
    Some([(precision << 5) | ((scale & 0x03) << 3) | 2, hi, lo])
}

/// A signed big-endian integer of 1, 2 or 4 bytes over 10^precision.
pub fn scaled(raw: &[u8], precision: u8) -> f64 {
    let int = match *raw {
        [a] => i64::from(a as i8),
        [a, b] => i64::from(i16::from_be_bytes([a, b])),
        [a, b, c, d] => i64::from(i32::from_be_bytes([a, b, c, d])),
        _ => 0,
    };
    int as f64 / 10f64.powi(i32::from(precision))
}

/// A transition duration byte (CC spec 2.x "Duration"; zwave-js `Duration`): 00 instantly,
/// 01–7F seconds, 80–FE 1–127 minutes; FF the device's default in a Set; FE "unknown" in a
/// Report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// 0–127 seconds.
    Seconds(u8),
    /// 1–127 minutes.
    Minutes(u8),
    /// The device's own default (Set only).
    Default,
}

impl Transition {
    /// The byte a Set carries; out-of-range counts are clamped.
    pub fn byte(self) -> u8 {
        match self {
            Transition::Seconds(s) => s.min(0x7F),
            Transition::Minutes(m) => 0x7F + m.clamp(1, 0x7F),
            Transition::Default => 0xFF,
        }
    }

    /// A Report's duration byte; `None` for FE (unknown) and FF (reserved).
    pub fn from_report(byte: u8) -> Option<Transition> {
        match byte {
            0x00..=0x7F => Some(Transition::Seconds(byte)),
            0x80..=0xFD => Some(Transition::Minutes(byte - 0x7F)),
            _ => None,
        }
    }

    /// How long it is.
    pub fn duration(self) -> Option<Duration> {
        match self {
            Transition::Seconds(s) => Some(Duration::from_secs(u64::from(s))),
            Transition::Minutes(m) => Some(Duration::from_secs(60 * u64::from(m))),
            Transition::Default => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pss_values_from_zwave_js_primitive_tests() {
        // zwave-js packages/core/src/values/Primitive.test.ts:
        // 21 = precision 1 · scale 0 · size 1; 0F = 15 → 1.5
        let (v, used) = Value::decode(&[0x21, 0x0F]).unwrap().unwrap();
        assert_eq!((v.value, v.precision, v.scale, used), (1.5, 1, 0, 2));
        // CC = precision 6 · scale 1 · size 4; 81 23 45 67 = −2128394905 → −2128.394905
        let (v, used) = Value::decode(&[0xCC, 0x81, 0x23, 0x45, 0x67])
            .unwrap()
            .unwrap();
        assert!((v.value - -2128.394905).abs() < 1e-9);
        assert_eq!((v.precision, v.scale, used), (6, 1, 5));
    }

    #[test]
    fn pss_encodes_what_it_decodes() {
        let bytes = encode(-2.5, 1, 1).unwrap();
        // 2A = precision 1 · scale 1 · size 2; FF E7 = −25
        assert_eq!(bytes, [0x2A, 0xFF, 0xE7]);
        let (v, _) = Value::decode(&bytes).unwrap().unwrap();
        assert_eq!((v.value, v.scale), (-2.5, 1));
        assert_eq!(encode(f64::INFINITY, 1, 0), None);
    }

    #[test]
    fn pss_truncated_or_bad_size() {
        assert_eq!(Value::decode(&[]), None);
        // 22 = size 2, one byte follows.
        assert_eq!(Value::decode(&[0x22, 0x00]), None);
        // 23 = size 3.
        assert_eq!(
            Value::decode(&[0x23, 0, 0, 0]),
            Some(Err(CcError::BadSize(3)))
        );
    }

    #[test]
    fn transition_bytes() {
        // zwave-js BinarySwitchCC.test.ts: 81 = 2 minutes.
        assert_eq!(Transition::Minutes(2).byte(), 0x81);
        assert_eq!(Transition::from_report(0x81), Some(Transition::Minutes(2)));
        assert_eq!(Transition::from_report(0x05), Some(Transition::Seconds(5)));
        assert_eq!(Transition::from_report(0xFE), None);
        assert_eq!(Transition::Default.byte(), 0xFF);
        let two_min = Transition::Minutes(2).duration();
        assert_eq!(two_min, Some(Duration::from_secs(120)));
    }
}
