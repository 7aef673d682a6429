//! Opening the link to the Zigbee stick: a serial device at 115200 8N1, or `tcp://host:port`
//! (a network-attached coordinator such as the SLZB-06, or a stick shared with ser2net). The
//! byte stream itself is the Z-Wave driver's [`Link`]; what differs is the reset line dance.

use std::time::Duration;

use tokio::net::TcpStream;
use tokio_serial::{DataBits, FlowControl, Parity, SerialPort, SerialPortBuilderExt, StopBits};
use tracing::warn;

use super::{ResetLine, ZigbeeError};
use crate::devices::zwave::port::Link;

/// MT over UART runs at 115200 8N1 on every Z-Stack 3 coordinator firmware.
pub(crate) const BAUD_RATE: u32 = 115_200;
/// How long each step of the RTS pulse holds (zigpy-znp: 150 ms).
const PULSE_STEP: Duration = Duration::from_millis(150);

/// Opens `port`: `tcp://host:port` or a device path, then applies `reset` to a serial one.
pub(crate) async fn open(port: &str, reset: ResetLine) -> Result<Link, ZigbeeError> {
    let failed = |source: std::io::Error| ZigbeeError::Open {
        port: port.to_owned(),
        source,
    };
    if let Some(address) = port.strip_prefix("tcp://") {
        let stream = TcpStream::connect(address).await.map_err(failed)?;
        stream.set_nodelay(true).map_err(failed)?;
        return Ok(Link::Tcp(stream));
    }
    let mut stream = tokio_serial::new(port, BAUD_RATE)
        .data_bits(DataBits::Eight)
        .parity(Parity::None)
        .stop_bits(StopBits::One)
        .flow_control(FlowControl::None)
        .open_native_async()
        .map_err(|e| failed(e.into()))?;
    if reset == ResetLine::DtrRts {
        // DTR released throughout (asserted it would hold the CC2652 in its bootloader);
        // RTS low → high → low restarts the chip into Z-Stack.
        for rts in [false, true, false] {
            let set = stream
                .write_data_terminal_ready(false)
                .and_then(|()| stream.write_request_to_send(rts));
            if let Err(err) = set {
                // A pty or a USB bridge without modem lines: the chip just is not reset.
                warn!(cause = %err, port, "cannot drive DTR/RTS; the stick is not reset");
                break;
            }
            tokio::time::sleep(PULSE_STEP).await;
        }
    }
    Ok(Link::Serial(stream))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_refused_tcp_port_and_a_missing_device_name_the_port() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        drop(listener);
        let port = format!("tcp://{address}");
        let err = open(&port, ResetLine::None).await.unwrap_err();
        assert!(err.to_string().contains(&port), "{err}");
        let err = open("/dev/does-not-exist-zigbee", ResetLine::DtrRts)
            .await
            .unwrap_err();
        assert!(matches!(err, ZigbeeError::Open { .. }), "{err}");
    }
}
