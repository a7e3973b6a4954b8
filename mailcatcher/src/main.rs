//! `cargo run -p mailcatcher -- [--port 1025]`: a mail catcher on this
//! machine that prints each message it receives (its headers and its
//! plain-text part) to the terminal. `cargo xtask dev` starts it and
//! points the server's `SMTP_URL` at it.

use std::process::ExitCode;

use mail_parser::MessageParser;
use mailcatcher::{Mail, MailCatcher};

fn print(mail: &Mail) {
    let time = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|since| since.as_secs() % 86_400)
        .unwrap_or_default();
    println!(
        "\n── mail caught at {:02}:{:02}:{:02} UTC ─────────────────────────────",
        time / 3600,
        time / 60 % 60,
        time % 60
    );
    let Some(message) = MessageParser::default().parse(&mail.data) else {
        println!("{}", mail.text());
        return;
    };
    println!("From: {}", mail.from);
    println!("To: {}", mail.to.join(", "));
    println!("Subject: {}", message.subject().unwrap_or_default());
    if let Some(unsubscribe) = message.header_raw("List-Unsubscribe") {
        println!("List-Unsubscribe: {}", unsubscribe.trim());
    }
    println!();
    match message.body_text(0) {
        Some(text) => println!("{text}"),
        None => println!("{}", mail.text()),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let mut port = String::from("1025");
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--port", Some(value)) => port = value,
            _ => {
                eprintln!("usage: mailcatcher [--port 1025]");
                return ExitCode::from(2);
            }
        }
    }
    let catcher =
        match MailCatcher::start_with(&format!("127.0.0.1:{port}"), Some(Box::new(print))).await {
            Ok(catcher) => catcher,
            Err(error) => {
                eprintln!("mailcatcher: cannot listen on 127.0.0.1:{port}: {error}");
                return ExitCode::FAILURE;
            }
        };
    println!(
        "mailcatcher: catching mail on {} (SMTP_URL={}); Ctrl-C to stop",
        catcher.address(),
        catcher.url()
    );
    let _ = tokio::signal::ctrl_c().await;
    ExitCode::SUCCESS
}
