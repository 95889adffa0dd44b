//! A phone as a second camera: the desk listens for an SRT push on its local-network
//! address with a passphrase made for this broadcast. SRT refuses a caller without the
//! passphrase (FFmpeg's RTMP listener, measured, lets any stream name in while logging a
//! mismatch, so RTMP is not offered). The listener runs only while a scene shows the phone.

use std::net::{IpAddr, Ipv4Addr, UdpSocket};

use crate::CaptureError;
use crate::config::{InputSpec, PhoneListen};

/// One broadcast's phone link: where the phone pushes, and the input the desk opens.
#[derive(Clone)]
pub(crate) struct PhoneLink {
    /// What the phone app is given: `srt://ADDRESS:PORT?passphrase=KEY`.
    pub url: String,
    pub input: InputSpec,
}

impl PhoneLink {
    /// A fresh passphrase and, unless one is set, a free port on `listen.address`.
    pub(crate) fn new(listen: &PhoneListen) -> Result<PhoneLink, CaptureError> {
        let address = listen.address.unwrap_or_else(lan_address);
        let port = match listen.port {
            0 => UdpSocket::bind((address, 0))
                .and_then(|s| s.local_addr())
                .map_err(CaptureError::io(format!("finding a free port on {address} for the phone")))?
                .port(),
            port => port,
        };
        let mut bytes = [0u8; 12];
        getrandom::fill(&mut bytes).map_err(|e| CaptureError::BadConfig(format!("no randomness for the phone's passphrase: {e}")))?;
        let key: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let host = match address {
            IpAddr::V6(v6) => format!("[{v6}]"),
            IpAddr::V4(v4) => v4.to_string(),
        };
        // A second between listening attempts lets the source thread see a stop request.
        let input = InputSpec::new(
            "mpegts",
            &format!("srt://{host}:{port}?mode=listener&passphrase={key}&pbkeylen=16&listen_timeout=1000000&latency=200000"),
        );
        Ok(PhoneLink { url: format!("srt://{host}:{port}?passphrase={key}&latency=200000"), input })
    }
}

/// Hides an SRT passphrase in a URL, for logs.
pub(crate) fn mask_passphrase(url: &str) -> String {
    match url.find("passphrase=") {
        Some(at) => {
            let start = at + "passphrase=".len();
            let end = url[start..].find('&').map_or(url.len(), |i| start + i);
            format!("{}****{}", &url[..start], &url[end..])
        }
        None => url.to_owned(),
    }
}

/// The desk's IPv4 address on the local network (the one its default route leaves from),
/// or loopback when there is no network. No packet is sent: connecting a UDP socket only
/// picks the route.
pub fn lan_address() -> IpAddr {
    UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0))
        .and_then(|s| {
            s.connect((Ipv4Addr::new(192, 0, 2, 1), 9))?;
            s.local_addr()
        })
        .map(|a| a.ip())
        .ok()
        .filter(|ip| !ip.is_unspecified())
        .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_phone_link_has_a_fresh_passphrase_that_logs_never_show() {
        let listen = PhoneListen { address: Some(IpAddr::V4(Ipv4Addr::LOCALHOST)), port: 0 };
        let (a, b) = (PhoneLink::new(&listen).unwrap(), PhoneLink::new(&listen).unwrap());
        assert_ne!(a.url, b.url, "each broadcast gets its own passphrase");
        assert!(a.url.starts_with("srt://127.0.0.1:") && a.url.contains("passphrase="), "{}", a.url);
        assert!(a.input.url.contains("mode=listener"), "{}", a.input.url);
        let masked = mask_passphrase(&a.input.url);
        assert!(masked.contains("passphrase=****&pbkeylen=16"), "{masked}");
        let key = a.url.split("passphrase=").nth(1).unwrap().split('&').next().unwrap();
        assert!(key.len() >= 10 && !masked.contains(key));
        assert_eq!(mask_passphrase("v4l2:/dev/video0"), "v4l2:/dev/video0");
    }
}
