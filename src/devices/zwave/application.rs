//! Unwrapping the frames that carry a node's command to the host: ApplicationCommandHandler
//! (0x04) and, on bridge firmware, BridgeApplicationCommandHandler (0xA8) (INS13954; zwave-js
//! `packages/serial/src/serialapi/application/`). 8-bit node ids only: Long Range's 16-bit
//! mode comes with Long Range support.

/// ApplicationCommandHandler.
pub(crate) const APPLICATION_COMMAND_HANDLER: u8 = 0x04;
/// BridgeApplicationCommandHandler.
pub(crate) const BRIDGE_APPLICATION_COMMAND_HANDLER: u8 = 0xA8;
/// ApplicationUpdate (node info received, node info request failed…).
pub(crate) const APPLICATION_UPDATE: u8 = 0x49;

/// A command a node sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Received {
    /// rxStatus flags (routed, broadcast, multicast…).
    pub(crate) rx_status: u8,
    /// The sending node.
    pub(crate) source: u8,
    /// The command class bytes: `cc command params…`.
    pub(crate) command: Vec<u8>,
    /// Signal strength in dBm, when the chip sends it (7D–7F are markers, not levels).
    pub(crate) rssi: Option<i8>,
}

/// The node command inside a 0x04 or 0xA8 request payload; `None` for other functions or a
/// payload too short for its own length byte.
pub(crate) fn received(function: u8, payload: &[u8]) -> Option<Received> {
    match function {
        // rxStatus src len cc… [rssi]
        APPLICATION_COMMAND_HANDLER => {
            let [rx_status, source, len, rest @ ..] = payload else {
                return None;
            };
            let (command, tail) = rest.split_at_checked(usize::from(*len))?;
            Some(Received {
                rx_status: *rx_status,
                source: *source,
                command: command.to_vec(),
                rssi: tail.first().map(|b| *b as i8),
            })
        }
        // rxStatus dest src len cc… maskLen mask… [rssi]
        BRIDGE_APPLICATION_COMMAND_HANDLER => {
            let [rx_status, _dest, source, len, rest @ ..] = payload else {
                return None;
            };
            let (command, tail) = rest.split_at_checked(usize::from(*len))?;
            let mask_len = usize::from(*tail.first()?);
            Some(Received {
                rx_status: *rx_status,
                source: *source,
                command: command.to_vec(),
                rssi: tail.get(1 + mask_len).map(|b| *b as i8),
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::devices::zwave::hex;

    #[test]
    fn application_command_handler_without_rssi() {
        // zwave.md, captured from the zwave-js mock: 21.5 °C from node 3.
        // payload of 01 0C 00 04 …: 00 rxStatus · 03 node · 06 len · 31 05 01 22 00 D7
        let got = received(0x04, &hex("00 03 06 31 05 01 22 00 D7")).unwrap();
        assert_eq!(got.source, 3);
        assert_eq!(got.command, hex("31 05 01 22 00 D7"));
        assert_eq!(got.rssi, None);
        // The same with an RSSI byte: C4 = −60 dBm.
        let got = received(0x04, &hex("00 03 06 31 05 01 22 00 D7 C4")).unwrap();
        assert_eq!(got.rssi, Some(-60));
    }

    #[test]
    fn bridge_application_command_handler() {
        // zwave-js BridgeApplicationCommandRequest.test.ts, payload of
        // 01 12 00 A8 …: 00 rxStatus · 01 dest · 02 src · 0A len ·
        // 32 02 21 34 00 00 00 00 00 00 (Meter report) · 00 maskLen, no RSSI
        let payload = hex("00 01 02 0A 32 02 21 34 00 00 00 00 00 00 00");
        let got = received(0xA8, &payload).unwrap();
        assert_eq!(got.source, 2);
        assert_eq!(got.command, hex("32 02 21 34 00 00 00 00 00 00"));
        assert_eq!(got.rssi, None);
    }

    #[test]
    fn short_or_foreign_payloads() {
        assert_eq!(received(0x04, &[]), None);
        // len 06 but only two command bytes.
        assert_eq!(received(0x04, &hex("00 03 06 31 05")), None);
        // 0xA8 without its maskLen byte.
        assert_eq!(received(0xA8, &hex("00 01 02 01 20")), None);
        assert_eq!(received(0x13, &hex("00 03 06")), None);
    }
}
