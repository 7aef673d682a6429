//! Opening the link to the controller: a serial device (115200 8N1) or `tcp://host:port` (a
//! stick shared with ser2net, or the zwave-js mock). Only the driver task holds what this
//! returns; everything above it speaks frames.

use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_serial::{DataBits, FlowControl, Parity, SerialPortBuilderExt, SerialStream, StopBits};

use super::ZwaveError;

/// The Serial API's fixed line speed (INS13954).
pub(crate) const BAUD_RATE: u32 = 115_200;

/// The byte stream to the controller chip.
#[derive(Debug)]
pub(crate) enum Link {
    /// A TCP peer playing the stick.
    Tcp(TcpStream),
    /// A local serial device.
    Serial(SerialStream),
}

/// Opens `port`: `tcp://host:port` or a device path.
pub(crate) async fn open(port: &str) -> Result<Link, ZwaveError> {
    let failed = |source: std::io::Error| ZwaveError::Open {
        port: port.to_owned(),
        source,
    };
    if let Some(address) = port.strip_prefix("tcp://") {
        let stream = TcpStream::connect(address).await.map_err(failed)?;
        // Frames are small and latency-bound: an ACK must not wait for Nagle.
        stream.set_nodelay(true).map_err(failed)?;
        return Ok(Link::Tcp(stream));
    }
    let stream = tokio_serial::new(port, BAUD_RATE)
        .data_bits(DataBits::Eight)
        .parity(Parity::None)
        .stop_bits(StopBits::One)
        .flow_control(FlowControl::None)
        .open_native_async()
        .map_err(|e| failed(e.into()))?;
    Ok(Link::Serial(stream))
}

impl AsyncRead for Link {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Link::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            Link::Serial(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Link {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Link::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            Link::Serial(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Link::Tcp(s) => Pin::new(s).poll_flush(cx),
            Link::Serial(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Link::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            Link::Serial(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_refused_tcp_port_names_the_port() {
        // Bind then drop: the port is free and nobody listens.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        drop(listener);
        let port = format!("tcp://{address}");
        let err = open(&port).await.unwrap_err();
        assert!(err.to_string().contains(&port), "{err}");
    }

    #[tokio::test]
    async fn a_missing_device_is_an_open_error() {
        let err = open("/dev/does-not-exist-zwave").await.unwrap_err();
        assert!(matches!(err, ZwaveError::Open { .. }), "{err}");
    }
}
