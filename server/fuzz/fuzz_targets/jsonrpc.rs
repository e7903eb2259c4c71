//! The JSON-RPC layer: any bytes from the client (raw, or split into framed
//! bodies; after an `initialize` handshake, an impatient one, or none) never
//! stop the server and never make a handler panic (libFuzzer aborts on any
//! panic, even one the server's guard would catch); after framed bodies a
//! request is still answered (unless they held an `exit`), and after raw
//! bytes the server stops once its input ends.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ssot_lsp_fuzz::{converse, frame, handshake, is_internal_error, is_ping_answer, Ending};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    // Initialized as a client would, at once (an impatient client), or not.
    let (initialize_first, mut input) = match mode & 5 {
        1 => (Some(mode & 8 == 8), Vec::new()),
        5 => (None, handshake(mode & 8 == 8)),
        _ => (None, Vec::new()),
    };
    let framed = mode & 2 == 2;
    if framed {
        // Framed bodies separated by NUL bytes: the fuzzer works on JSON.
        for body in rest.split(|&byte| byte == 0) {
            input.extend(frame(body));
        }
    } else {
        input.extend_from_slice(rest);
    }
    if framed {
        // Every message is whole: the ping after them must be answered.
        let transcript =
            converse(initialize_first, input, Ending::WhenDone, |messages| messages.iter().any(is_ping_answer));
        if transcript.ended_early {
            let said_exit = rest.windows(4).any(|window| window == b"exit");
            assert!(said_exit, "the server stopped without an exit: {:?}", transcript.messages);
        }
        check(&transcript.messages);
    } else {
        // Raw bytes may leave a frame open that swallows the ping: the
        // server must still stop once its input ends, without a panic.
        let transcript = converse(initialize_first, input, Ending::CloseAtOnce, |_| false);
        check(&transcript.messages);
    }
});

fn check(messages: &[serde_json::Value]) {
    if let Some(internal) = messages.iter().find(|message| is_internal_error(message)) {
        panic!("a handler panicked: {internal}");
    }
}
