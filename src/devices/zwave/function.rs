//! Serial API function ids MIRAI calls or receives (INS13954 "Z-Wave Host API
//! Specification"; zwave-js `packages/serial/src/message/Constants.ts`), and the [`Command`]
//! shape of each call: whether the chip answers with a response frame and / or a callback.

use super::serial_api::Command;

/// GetSerialApiInitData: API version, capabilities, node bitmask.
pub(crate) const GET_SERIAL_API_INIT_DATA: u8 = 0x02;
/// GetControllerCapabilities: secondary / SIS / SUC flags.
pub(crate) const GET_CONTROLLER_CAPABILITIES: u8 = 0x05;
/// GetSerialApiCapabilities: firmware version, manufacturer, product, supported functions.
pub(crate) const GET_SERIAL_API_CAPABILITIES: u8 = 0x07;
/// SoftReset: restarts the chip's firmware; no response.
pub(crate) const SOFT_RESET: u8 = 0x08;
/// SerialApiStarted: the chip's request after a (soft) reset.
pub(crate) const SERIAL_API_STARTED: u8 = 0x0A;
/// SendData: a command class payload to one node.
pub(crate) const SEND_DATA: u8 = 0x13;
/// GetControllerVersion: library version string and type.
pub(crate) const GET_CONTROLLER_VERSION: u8 = 0x15;
/// MemoryGetId: home id and the controller's own node id.
pub(crate) const MEMORY_GET_ID: u8 = 0x20;
/// GetNodeProtocolInfo: listening flag and device classes of one node.
pub(crate) const GET_NODE_PROTOCOL_INFO: u8 = 0x41;
/// AddNodeToNetwork: inclusion, reported through repeated callbacks.
pub(crate) const ADD_NODE_TO_NETWORK: u8 = 0x4A;
/// RemoveNodeFromNetwork: exclusion, reported through repeated callbacks.
pub(crate) const REMOVE_NODE_FROM_NETWORK: u8 = 0x4B;
/// RequestNodeInfo: asks a node for its node information frame (answered by ApplicationUpdate).
pub(crate) const REQUEST_NODE_INFO: u8 = 0x60;

/// A call answered by one response frame.
pub(crate) fn request(function: u8, payload: Vec<u8>) -> Command {
    Command {
        function,
        payload,
        response: true,
        callback: false,
    }
}

/// SoftReset: the chip ACKs and restarts; no response, no callback.
pub(crate) fn soft_reset() -> Command {
    Command {
        function: SOFT_RESET,
        payload: Vec::new(),
        response: false,
        callback: false,
    }
}

/// SendData 0x13 `node len cc… txOptions` + callback id.
pub(crate) fn send_data(node: u8, cc: &[u8]) -> Command {
    // ACK | AUTO_ROUTE | EXPLORE (zwave-js default transmit options).
    const TX_OPTIONS: u8 = 0x25;
    let mut payload = vec![node, cc.len() as u8];
    payload.extend_from_slice(cc);
    payload.push(TX_OPTIONS);
    Command {
        function: SEND_DATA,
        payload,
        response: true,
        callback: true,
    }
}

/// AddNodeToNetwork 0x4A `mode` + callback id; no response frame, only callbacks.
pub(crate) fn add_node(mode: u8) -> Command {
    Command {
        function: ADD_NODE_TO_NETWORK,
        payload: vec![mode],
        response: false,
        callback: true,
    }
}

/// RemoveNodeFromNetwork 0x4B `mode` + callback id; no response frame, only callbacks.
pub(crate) fn remove_node(mode: u8) -> Command {
    Command {
        function: REMOVE_NODE_FROM_NETWORK,
        payload: vec![mode],
        response: false,
        callback: true,
    }
}

/// RemoveNodeFromNetwork STOP with callback id 0: the chip calls nothing back (zwave-js
/// `stopExclusionNoCallback`, sent once Done has come).
pub(crate) fn remove_node_stop_quietly() -> Command {
    Command {
        function: REMOVE_NODE_FROM_NETWORK,
        payload: vec![0x05, 0x00],
        response: false,
        callback: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devices::zwave::frame::{Kind, encode_data};

    #[test]
    fn send_data_matches_the_zwave_js_vector_once_the_callback_id_is_appended() {
        // zwave.md, Message.test.ts: 01 09 00 13 · 03 node · 02 len · 00 00 NoOp · 25 · 0B cb · CA
        let command = send_data(3, &[0x00, 0x00]);
        let mut payload = command.payload.clone();
        payload.push(0x0B);
        let bytes = encode_data(Kind::Request, command.function, &payload).unwrap();
        assert_eq!(
            bytes,
            [
                0x01, 0x09, 0x00, 0x13, 0x03, 0x02, 0x00, 0x00, 0x25, 0x0B, 0xCA
            ]
        );
        assert!(command.response && command.callback);
    }
}
