//! `select!` syntax: every arm form, bodies that break out, duplicate channels, no cases.
#![cfg(not(loom))]

use gochan::{select, Chan, SendError};
use std::time::Duration;

#[test]
fn arm_forms() {
    let a = Chan::new(1);
    let b = Chan::<u8>::new(0);
    a.send(1).unwrap();
    let v = select! {
        recv(a) -> v => v,
        recv(b) => None,
    };
    assert_eq!(v, Some(1));

    let r = select! {
        send(a, 2) -> r => r,
        send(b, 3) => Ok(()),
    };
    assert_eq!(r, Ok(()));
    assert_eq!(a.recv(), Some(2));

    let x = select! {
        recv(b) -> _ => { 1 }
        default => { 2 }
    };
    assert_eq!(x, 2);
    let y = select! { default => 3 };
    assert_eq!(y, 3);
    let z = select! {
        recv(b) -> _ => 1,
        default(Duration::from_millis(1)) => 4,
    };
    assert_eq!(z, 4);
}

#[test]
fn closed_send_case_hands_value_back() {
    let c = Chan::new(0);
    c.close();
    let r = select! { send(c, String::from("v")) -> r => r };
    assert_eq!(r, Err(SendError(String::from("v"))));
}

#[test]
fn body_can_break_and_reassign_channels() {
    let mut c = Chan::new(3);
    for i in 0..3 {
        c.send(i).unwrap();
    }
    c.close();
    let mut sum = 0;
    loop {
        select! {
            recv(c) -> v => match v {
                Some(v) => sum += v,
                None => c = Chan::nil(),
            },
            default => break,
        }
    }
    assert_eq!(sum, 3);
    assert!(c.is_nil());
}

#[test]
fn references_and_views() {
    let c = Chan::new(1);
    let tx = c.sender();
    let rx = c.receiver();
    select! { send(&tx, 5) -> r => r.unwrap() }
    let v = select! { recv(&rx) -> v => v };
    assert_eq!(v, Some(5));
}

#[test]
fn empty_select_with_default() {
    let hit = select! { default => true };
    assert!(hit);
}
