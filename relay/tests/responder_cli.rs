//! `linkage-responder` takes NATS the way `nanbyo` does: `NATS_URL` (or `--nats-url`), and no
//! silent default — without the setting it says so and exits 2 instead of answering on some
//! other server. Against the shared nats-server of the tests (TEST_NATS_URL).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use futures::StreamExt;
use relay::linkage::{LinkageInquiry, LinkageResponse};

fn nats_url() -> String {
    std::env::var("TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".into())
}

fn responder() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_linkage-responder"));
    c.env_remove("NATS_URL")
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    c
}

#[test]
fn without_nats_url_it_refuses_to_start() {
    let mut child = responder().spawn().expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(10);
    let exit = loop {
        if let Some(exit) = child.try_wait().expect("wait") {
            break exit;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("linkage-responder without NATS_URL still runs after 10 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut err)
        .expect("stderr");
    assert_eq!(exit.code(), Some(2), "{err}");
    assert!(err.contains("NATS_URL"), "{err}");
}

#[tokio::test]
async fn it_answers_on_the_server_nats_url_names() {
    let url = nats_url();
    let mut child = responder().env("NATS_URL", &url).spawn().expect("spawn");
    // It says when it listens.
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(line) if line.contains("listening") => break,
            _ if Instant::now() > deadline => {
                let _ = child.kill();
                panic!("linkage-responder did not start listening");
            }
            _ => {}
        }
    }

    let client = async_nats::connect(&url).await.expect("connect");
    let mut answers = client
        .subscribe("linkage.response.nanbyo")
        .await
        .expect("subscribe");
    client.flush().await.expect("flush");
    let request_id = uuid::Uuid::new_v4().to_string();
    let inquiry = LinkageInquiry {
        request_id: request_id.clone(),
        program: "nanbyo".into(),
        patient: "p".into(),
        name_kana: "オウトウ タロウ".into(),
        birth_date: "1950-04-01".into(),
        sex: "male".into(),
        insurer_number: Some("01234567".into()),
        insured_symbol_number: None,
    };
    client
        .publish(
            "linkage.inquiry.nanbyo",
            serde_json::to_vec(&inquiry).expect("json").into(),
        )
        .await
        .expect("publish");
    client.flush().await.expect("flush");
    // Other tests share the server: wait for the answer to this request.
    let answer = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let m = answers.next().await.expect("message");
            if let Ok(a) = serde_json::from_slice::<LinkageResponse>(&m.payload) {
                if a.request_id() == request_id {
                    return a;
                }
            }
        }
    })
    .await
    .expect("an answer");
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        matches!(answer, LinkageResponse::Assigned { .. }),
        "{answer:?}"
    );
}
