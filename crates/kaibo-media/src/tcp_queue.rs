//! The kernel's view of our TCP connections: bytes written to a socket but not yet
//! acknowledged by the peer (`tx_queue` in `/proc/net/tcp[6]`, `write_seq − snd_una`).
//!
//! `TCP_INFO` ([`tcp_stats`]) adds what the peer acknowledged, retransmissions and round trips.
//!
//! rtmp2sink does not expose its socket, so the connection is found by its remote port (and
//! address, when known) among the sockets this process holds open.

use std::collections::HashSet;
use std::net::IpAddr;

/// Sum of unacknowledged bytes over this process's TCP sockets to `port` on one of `ips`
/// (any address when `ips` is empty). `None` where the kernel does not say (not Linux).
pub fn unacked_bytes(port: u16, ips: &[IpAddr]) -> Option<u64> {
    if !cfg!(target_os = "linux") {
        return None;
    }
    let ours = own_socket_inodes();
    let mut total = 0;
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            if let Some((remote, tx, inode)) = parse_line(line) {
                let ip_ok = ips.is_empty() || ips.contains(&remote.0);
                if remote.1 == port && ip_ok && ours.contains(&inode) {
                    total += tx;
                }
            }
        }
    }
    Some(total)
}

/// The inode of this process's TCP socket to `port` on one of `ips` (any address when empty).
pub fn find_socket(port: u16, ips: &[IpAddr]) -> Option<u64> {
    sockets_to(port, ips).into_iter().next()
}

/// The inodes of all this process's TCP sockets to `port` on one of `ips` (any address when
/// empty): a connection a library opens is the one that was not there before.
pub fn sockets_to(port: u16, ips: &[IpAddr]) -> Vec<u64> {
    let ours = own_socket_inodes();
    tcp_lines()
        .filter(|(remote, _, inode)| {
            remote.1 == port && (ips.is_empty() || ips.contains(&remote.0)) && ours.contains(inode)
        })
        .map(|(_, _, inode)| inode)
        .collect()
}

/// Unacknowledged bytes of the socket with this inode; `None` once it is gone.
pub fn unacked_for(inode: u64) -> Option<u64> {
    tcp_lines().find_map(|(_, tx, i)| (i == inode).then_some(tx))
}

fn tcp_lines() -> impl Iterator<Item = ((IpAddr, u16), u64, u64)> {
    ["/proc/net/tcp", "/proc/net/tcp6"]
        .into_iter()
        .filter_map(|table| std::fs::read_to_string(table).ok())
        .flat_map(|text| {
            text.lines()
                .skip(1)
                .filter_map(parse_line)
                .collect::<Vec<_>>()
        })
}

/// Turns off Nagle's algorithm on this process's socket with `inode` (the RTMP sink's, which
/// GStreamer opens without TCP_NODELAY). With Nagle on, a small write (an audio frame, the
/// tail of a picture) waits for the acknowledgement of the one before, which a server that
/// delays its ACKs sends up to 40 ms late. The socket is reached through a duplicate of its
/// descriptor ([`socket_of`]). False when it could not be done (old kernel, socket gone).
pub fn set_nodelay(inode: u64) -> bool {
    let Some(socket) = socket_of(inode) else {
        return false;
    };
    rustix::net::sockopt::set_tcp_nodelay(&socket, true).is_ok()
        && rustix::net::sockopt::tcp_nodelay(&socket).unwrap_or(false)
}

/// What the kernel counts for one TCP connection (`TCP_INFO`), read in one call, so the
/// figures belong to the same instant.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TcpStats {
    /// Bytes the peer acknowledged (Linux ≥ 4.1).
    pub bytes_acked: u64,
    /// Segments the peer acknowledged selectively (SACK), beyond a hole the cumulative
    /// acknowledgement waits at: delivered, but not in `bytes_acked` until the hole is filled.
    pub sacked_segments: u32,
    /// The sender's segment size.
    pub mss: u32,
    /// Segments sent and not yet acknowledged (cumulatively).
    pub unacked_segments: u32,
    /// Bytes written by the application and not yet sent (Linux ≥ 4.6).
    pub notsent_bytes: u32,
    /// Bytes sent, retransmissions included (Linux ≥ 4.19; 0 before).
    pub bytes_sent: u64,
    /// Bytes sent again (Linux ≥ 4.19; 0 before).
    pub bytes_retrans: u64,
    /// Smoothed round trip, µs.
    pub rtt_us: u32,
    /// Smallest round trip seen on the connection, µs: the path without queues (Linux ≥ 4.6).
    pub min_rtt_us: u32,
}

impl TcpStats {
    /// What reached the peer: acknowledged bytes plus the segments it holds beyond a hole. A
    /// lost segment stalls `bytes_acked` while later ones keep arriving, then it jumps by all
    /// of them at once; a rate taken across such a jump counts bytes from before its window.
    pub fn delivered_bytes(&self) -> u64 {
        self.bytes_acked + u64::from(self.sacked_segments) * u64::from(self.mss)
    }

    /// What the connection holds that has not reached the peer: unsent bytes plus segments in
    /// flight (less those the peer already holds).
    pub fn queued_bytes(&self) -> u64 {
        let in_flight = self.unacked_segments.saturating_sub(self.sacked_segments);
        u64::from(self.notsent_bytes) + u64::from(in_flight) * u64::from(self.mss)
    }
}

/// `TCP_INFO` of this process's socket with `inode`; `None` once it is gone or where the
/// kernel does not say.
pub fn tcp_stats(inode: u64) -> Option<TcpStats> {
    TcpSocket::of(inode)?.stats()
}

/// A hold on one of this process's TCP sockets (a duplicate of its descriptor), for reading
/// its counters again and again with one system call each.
#[derive(Debug)]
pub struct TcpSocket(std::os::fd::OwnedFd);

impl TcpSocket {
    /// This process's socket with `inode`.
    pub fn of(inode: u64) -> Option<Self> {
        socket_of(inode).map(Self)
    }

    /// The connection's counters now.
    pub fn stats(&self) -> Option<TcpStats> {
        let info = tcp_info(&self.0)?;
        Some(TcpStats {
            bytes_acked: info.tcpi_bytes_acked,
            sacked_segments: info.tcpi_sacked,
            mss: info.tcpi_snd_mss,
            unacked_segments: info.tcpi_unacked,
            notsent_bytes: info.tcpi_notsent_bytes,
            bytes_sent: info.tcpi_bytes_sent,
            bytes_retrans: info.tcpi_bytes_retrans,
            rtt_us: info.tcpi_rtt,
            min_rtt_us: info.tcpi_min_rtt,
        })
    }

    /// Makes closing the socket reset the connection (SO_LINGER 0): what still waits in its
    /// queue is dropped instead of trickling out for seconds after a probe.
    pub fn discard_on_close(&self) -> bool {
        rustix::net::sockopt::set_socket_linger(&self.0, Some(std::time::Duration::ZERO)).is_ok()
    }

    /// Shuts the connection down both ways: a write blocked on a full queue fails at once.
    pub fn shut_down(&self) -> bool {
        rustix::net::shutdown(&self.0, rustix::net::Shutdown::Both).is_ok()
    }
}

/// getsockopt(TCP_INFO): neither rustix nor socket2 offers it, so this is the one place the
/// media crate calls libc directly.
#[allow(unsafe_code)]
fn tcp_info(socket: &std::os::fd::OwnedFd) -> Option<libc::tcp_info> {
    use std::os::fd::AsRawFd;
    let mut info = std::mem::MaybeUninit::<libc::tcp_info>::zeroed();
    let mut len = std::mem::size_of::<libc::tcp_info>() as libc::socklen_t;
    // SAFETY: the kernel writes at most `len` bytes into `info`, which is that large; the
    // struct is plain integers, zeroed first, so fields an older kernel leaves out read 0.
    let rc = unsafe {
        libc::getsockopt(
            socket.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_INFO,
            info.as_mut_ptr().cast(),
            &mut len,
        )
    };
    // SAFETY: zero-initialised plain integers are a valid `tcp_info` whatever the kernel wrote.
    (rc == 0).then(|| unsafe { info.assume_init() })
}

/// A duplicate of this process's socket with `inode` (pidfd_getfd on this process): rtmp2sink
/// keeps its descriptor to itself, and the duplicate is the same socket.
fn socket_of(inode: u64) -> Option<std::os::fd::OwnedFd> {
    let fd = fd_of(inode)?;
    let me = rustix::process::pidfd_open(
        rustix::process::getpid(),
        rustix::process::PidfdFlags::empty(),
    )
    .ok()?;
    let socket =
        rustix::process::pidfd_getfd(&me, fd, rustix::process::PidfdGetfdFlags::empty()).ok()?;
    // The number may have been closed and given to another file since it was looked up.
    (rustix::fs::fstat(&socket).ok()?.st_ino == inode).then_some(socket)
}

/// The descriptor number of this process's socket with `inode`.
fn fd_of(inode: u64) -> Option<i32> {
    let wanted = format!("socket:[{inode}]");
    std::fs::read_dir("/proc/self/fd")
        .ok()?
        .flatten()
        .find(|e| std::fs::read_link(e.path()).is_ok_and(|t| t.to_string_lossy() == wanted))
        .and_then(|e| e.file_name().to_str()?.parse().ok())
}

fn own_socket_inodes() -> HashSet<u64> {
    let Ok(dir) = std::fs::read_dir("/proc/self/fd") else {
        return HashSet::new();
    };
    dir.flatten()
        .filter_map(|e| std::fs::read_link(e.path()).ok())
        .filter_map(|target| {
            let t = target.to_string_lossy();
            t.strip_prefix("socket:[")?.strip_suffix(']')?.parse().ok()
        })
        .collect()
}

/// (remote address, tx_queue bytes, inode) of one `/proc/net/tcp[6]` line.
fn parse_line(line: &str) -> Option<((IpAddr, u16), u64, u64)> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    let remote = parse_addr(fields.get(2)?)?;
    let tx = u64::from_str_radix(fields.get(4)?.split(':').next()?, 16).ok()?;
    let inode = fields.get(9)?.parse().ok()?;
    Some((remote, tx, inode))
}

/// `0100007F:0050` (IPv4, host byte order per 32-bit word) or the 32-hex-digit IPv6 form.
fn parse_addr(text: &str) -> Option<(IpAddr, u16)> {
    let (hex, port) = text.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let words: Vec<u32> = (0..hex.len() / 8)
        .map(|i| u32::from_str_radix(&hex[i * 8..i * 8 + 8], 16).map(u32::swap_bytes))
        .collect::<Result<_, _>>()
        .ok()?;
    let ip = match words.as_slice() {
        [a] => IpAddr::from(a.to_be_bytes()),
        [a, b, c, d] => {
            let mut bytes = [0u8; 16];
            for (i, w) in [a, b, c, d].iter().enumerate() {
                bytes[i * 4..i * 4 + 4].copy_from_slice(&w.to_be_bytes());
            }
            IpAddr::from(bytes)
        }
        _ => return None,
    };
    Some((ip, port))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn parses_proc_net_tcp_lines() {
        let line = "   3: 0100007F:A1B2 020012C6:0F9F 01 0001F400:00000000 01:00000014 00000000     0        0 123456 2 0000000000000000 20 4 28 10 -1";
        let ((ip, port), tx, inode) = parse_line(line).unwrap();
        assert_eq!(ip, "198.18.0.2".parse::<IpAddr>().unwrap());
        assert_eq!((port, tx, inode), (3999, 0x1F400, 123456));
        let v6 = parse_addr("0000000000000000FFFF00000100007F:0050").unwrap();
        assert_eq!(v6, ("::ffff:127.0.0.1".parse().unwrap(), 80));
    }

    #[test]
    fn finds_unacknowledged_bytes_on_a_real_stalled_connection() {
        // A peer that accepts and never reads: what we write piles up unacknowledged only
        // once its receive window is full, so fill well past it.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let mut client = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        let _server = listener.accept().unwrap();
        client.set_nonblocking(true).unwrap();
        let chunk = vec![0u8; 64 * 1024];
        let mut written = 0;
        while let Ok(n) = client.write(&chunk) {
            written += n;
        }
        assert!(written > 0);
        let ips = ["127.0.0.1".parse().unwrap()];
        // Loopback acknowledges what the peer's buffer took; the rest waits in our queue.
        let queued = unacked_bytes(port, &ips).unwrap();
        assert!(
            queued > 0 && queued <= written as u64,
            "{queued} of {written}"
        );
        assert_eq!(unacked_bytes(port.wrapping_add(1), &ips), Some(0));
        let inode = find_socket(port, &ips).expect("our socket is found");
        assert_eq!(unacked_for(inode), Some(queued));
    }

    #[test]
    fn counts_what_the_peer_acknowledged_on_a_real_connection() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let mut client = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        let (mut server, _) = listener.accept().unwrap();
        let inode = find_socket(port, &["127.0.0.1".parse().unwrap()]).expect("found");
        let before = tcp_stats(inode).expect("TCP_INFO");
        let sent = vec![7u8; 300 * 1024];
        let reader = std::thread::spawn(move || {
            let mut got = vec![0u8; 300 * 1024];
            std::io::Read::read_exact(&mut server, &mut got).map(|_| got.len())
        });
        client.write_all(&sent).unwrap();
        assert_eq!(reader.join().unwrap().unwrap(), sent.len());
        // The peer has read it all; its last acknowledgement may still be on its way.
        let mut after = tcp_stats(inode).unwrap();
        for _ in 0..100 {
            if after.bytes_acked - before.bytes_acked >= sent.len() as u64 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
            after = tcp_stats(inode).unwrap();
        }
        assert_eq!(after.bytes_acked - before.bytes_acked, sent.len() as u64);
        assert!(after.bytes_sent >= sent.len() as u64, "{after:?}");
        assert!(
            after.rtt_us > 0 && after.min_rtt_us <= after.rtt_us,
            "{after:?}"
        );
        assert_eq!(tcp_stats(u64::MAX), None, "no such socket");
        assert!(TcpSocket::of(inode).unwrap().discard_on_close());
        assert_eq!(
            rustix::net::sockopt::socket_linger(&client).unwrap(),
            Some(std::time::Duration::ZERO),
            "the socket itself resets on close"
        );
    }

    #[test]
    fn turns_off_nagle_on_a_socket_found_by_its_inode() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let client = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        let _server = listener.accept().unwrap();
        assert!(!client.nodelay().unwrap(), "a new socket has Nagle on");
        let inode = find_socket(port, &["127.0.0.1".parse().unwrap()]).expect("found");
        assert!(set_nodelay(inode), "TCP_NODELAY was not set");
        assert!(client.nodelay().unwrap(), "the socket itself has Nagle off");
        assert!(!set_nodelay(u64::MAX), "no such socket");
    }
}
