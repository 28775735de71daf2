//! UDP from goroutines and threads: ping-pong, several receivers on one socket, close.
#![cfg(not(loom))]

use gopoll::net::UdpSocket;
use goro_test_support::goroutine;
use std::sync::Arc;

#[test]
fn ping_pong_goroutine_and_thread() {
    let a = UdpSocket::bind("127.0.0.1:0").unwrap();
    let b = UdpSocket::bind("127.0.0.1:0").unwrap();
    let (aa, ba) = (a.local_addr().unwrap(), b.local_addr().unwrap());
    a.connect(ba).unwrap();
    let server = goroutine(move || {
        let mut buf = [0; 64];
        for _ in 0..1000 {
            let (n, from) = b.recv_from(&mut buf).unwrap();
            assert_eq!(from, aa);
            b.send_to(&buf[..n], from).unwrap();
        }
    });
    let mut buf = [0; 64];
    for i in 0..1000u32 {
        a.send(&i.to_le_bytes()).unwrap();
        let n = a.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], &i.to_le_bytes());
    }
    server.join().unwrap();
}

#[test]
fn several_receivers_share_one_socket() {
    // Eight goroutines receive on one socket; every datagram reaches exactly one of them.
    // Loopback UDP drops when the receive buffer fills, so the sender keeps at most 16
    // datagrams in flight, counting receipts through a std channel.
    let s = Arc::new(UdpSocket::bind("127.0.0.1:0").unwrap());
    let addr = s.local_addr().unwrap();
    let (ack_tx, ack_rx) = std::sync::mpsc::channel::<()>();
    let receivers: Vec<_> = (0..8)
        .map(|_| {
            let (s, ack) = (s.clone(), ack_tx.clone());
            goroutine(move || {
                let mut got = Vec::new();
                let mut buf = [0; 8];
                for _ in 0..50 {
                    let (n, _) = s.recv_from(&mut buf).unwrap();
                    got.push(u32::from_le_bytes(buf[..n].try_into().unwrap()));
                    ack.send(()).unwrap();
                }
                got
            })
        })
        .collect();
    let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
    for i in 0..400u32 {
        if i >= 16 {
            ack_rx.recv().unwrap();
        }
        tx.send_to(&i.to_le_bytes(), addr).unwrap();
    }
    let mut all: Vec<u32> = receivers
        .into_iter()
        .flat_map(|r| r.join().unwrap())
        .collect();
    all.sort();
    assert_eq!(all, (0..400).collect::<Vec<_>>());
}

#[test]
fn close_wakes_receiver() {
    let s = Arc::new(UdpSocket::bind("127.0.0.1:0").unwrap());
    let s2 = s.clone();
    let r = goroutine(move || s2.recv_from(&mut [0; 8]).unwrap_err());
    s.close();
    assert!(gopoll::is_closed(&r.join().unwrap()));
}
