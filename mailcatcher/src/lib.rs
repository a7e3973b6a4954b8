//! A local SMTP server that keeps every message it receives: the mail
//! catcher of `cargo xtask dev`, and the real SMTP server of the reminder
//! tests. It speaks the part of SMTP a sender needs (EHLO, MAIL, RCPT,
//! DATA, RSET, NOOP, QUIT), without TLS or authentication, so it is for
//! this machine only.
//!
//! To try a sender's retries it can refuse the next deliveries with a
//! temporary error (`451`), and be stopped and started again on its port.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::{JoinHandle, JoinSet};

/// The largest message kept; a bigger one is refused (`552`).
pub const MAX_MESSAGE_BYTES: usize = 10 * 1024 * 1024;

/// One message as it arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    /// The envelope's sender and recipients.
    pub from: String,
    pub to: Vec<String>,
    /// The message, headers and body, with the SMTP dot-stuffing undone.
    pub data: Vec<u8>,
}

impl Mail {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.data).into_owned()
    }
}

type OnMail = Box<dyn Fn(&Mail) + Send + Sync>;

struct Shared {
    received: Mutex<Vec<Mail>>,
    refuse: AtomicU32,
    refused: AtomicU32,
    arrived: Notify,
    on_mail: Option<OnMail>,
}

/// A running mail catcher; it stops when dropped.
pub struct MailCatcher {
    address: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl MailCatcher {
    /// Listens on `address` (such as `127.0.0.1:0` for any free port).
    pub async fn start(address: &str) -> std::io::Result<MailCatcher> {
        MailCatcher::start_with(address, None).await
    }

    /// As [`MailCatcher::start`], calling `on_mail` with each message as
    /// it arrives (the terminal printer of `cargo xtask dev`).
    pub async fn start_with(
        address: &str,
        on_mail: Option<OnMail>,
    ) -> std::io::Result<MailCatcher> {
        let listener = TcpListener::bind(address).await?;
        let address = listener.local_addr()?;
        let shared = Arc::new(Shared {
            received: Mutex::new(Vec::new()),
            refuse: AtomicU32::new(0),
            refused: AtomicU32::new(0),
            arrived: Notify::new(),
            on_mail,
        });
        let task = tokio::spawn(accept(listener, Arc::clone(&shared)));
        Ok(MailCatcher {
            address,
            shared,
            task,
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    pub fn port(&self) -> u16 {
        self.address.port()
    }

    /// The `SMTP_URL` that reaches it.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.address)
    }

    /// Answers the next `count` deliveries with `451`, a temporary error.
    pub fn refuse_next(&self, count: u32) {
        self.shared.refuse.store(count, Ordering::SeqCst);
    }

    /// How many deliveries it has refused.
    pub fn refused(&self) -> u32 {
        self.shared.refused.load(Ordering::SeqCst)
    }

    /// Every message received so far, oldest first.
    pub fn received(&self) -> Vec<Mail> {
        self.shared
            .received
            .lock()
            .map(|received| received.clone())
            .unwrap_or_default()
    }

    /// Waits until at least `count` messages have arrived, or `timeout`
    /// has passed; answers what has arrived either way.
    pub async fn wait_for(&self, count: usize, timeout: std::time::Duration) -> Vec<Mail> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let arrived = self.shared.arrived.notified();
            let received = self.received();
            if received.len() >= count {
                return received;
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                return self.received();
            }
        }
    }

    /// Stops listening and drops every open connection; answers what it
    /// received.
    pub async fn stop(mut self) -> Vec<Mail> {
        self.task.abort();
        let _ = (&mut self.task).await;
        self.shared
            .received
            .lock()
            .map(|received| received.clone())
            .unwrap_or_default()
    }
}

impl Drop for MailCatcher {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn accept(listener: TcpListener, shared: Arc<Shared>) {
    // Owned here, so stopping the listener drops every connection too.
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                if let Ok((stream, _)) = accepted {
                    connections.spawn(converse(stream, Arc::clone(&shared)));
                }
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// One SMTP session.
async fn converse(stream: TcpStream, shared: Arc<Shared>) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 mailcatcher ESMTP ready\r\n").await?;
    let mut from: Option<String> = None;
    let mut to: Vec<String> = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if lines.read_until(b'\n', &mut line).await? == 0 {
            return Ok(());
        }
        let command = String::from_utf8_lossy(&line).trim_end().to_owned();
        let verb = command
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" => b"250-mailcatcher\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 10485760\r\n",
            "HELO" => b"250 mailcatcher\r\n",
            "MAIL" => {
                let refuse = shared
                    .refuse
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
                        left.checked_sub(1)
                    })
                    .is_ok();
                if refuse {
                    shared.refused.fetch_add(1, Ordering::SeqCst);
                    b"451 4.3.0 Not now: try again later\r\n"
                } else {
                    from = Some(address_in(&command));
                    to.clear();
                    b"250 2.1.0 OK\r\n"
                }
            }
            "RCPT" if from.is_some() => {
                to.push(address_in(&command));
                b"250 2.1.5 OK\r\n"
            }
            "RCPT" => b"503 5.5.1 MAIL first\r\n",
            "DATA" if from.is_some() && !to.is_empty() => {
                write
                    .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await?;
                let Some(data) = read_data(&mut lines).await? else {
                    write.write_all(b"552 5.3.4 Message too big\r\n").await?;
                    from = None;
                    continue;
                };
                let mail = Mail {
                    from: from.take().unwrap_or_default(),
                    to: std::mem::take(&mut to),
                    data,
                };
                if let Some(on_mail) = &shared.on_mail {
                    on_mail(&mail);
                }
                if let Ok(mut received) = shared.received.lock() {
                    received.push(mail);
                }
                shared.arrived.notify_waiters();
                b"250 2.0.0 OK: kept\r\n"
            }
            "DATA" => b"503 5.5.1 MAIL and RCPT first\r\n",
            "RSET" => {
                from = None;
                to.clear();
                b"250 2.0.0 OK\r\n"
            }
            "NOOP" => b"250 2.0.0 OK\r\n",
            "QUIT" => {
                write.write_all(b"221 2.0.0 Bye\r\n").await?;
                return Ok(());
            }
            _ => b"502 5.5.2 Not implemented\r\n",
        };
        write.write_all(reply).await?;
    }
}

/// The address between `<` and `>` of a MAIL or RCPT command.
fn address_in(command: &str) -> String {
    command
        .split_once('<')
        .and_then(|(_, rest)| rest.split_once('>'))
        .map(|(address, _)| address.to_owned())
        .unwrap_or_default()
}

/// The message after DATA, up to the line with a single dot; `None` if it
/// is too big (read to its end all the same, to stay in step).
async fn read_data(
    lines: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
) -> std::io::Result<Option<Vec<u8>>> {
    let mut data = Vec::new();
    let mut line = Vec::new();
    let mut too_big = false;
    loop {
        line.clear();
        if lines.read_until(b'\n', &mut line).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if line == b".\r\n" || line == b".\n" {
            return Ok((!too_big).then_some(data));
        }
        let unstuffed = line.strip_prefix(b".").unwrap_or(&line);
        if data.len() + unstuffed.len() > MAX_MESSAGE_BYTES {
            too_big = true;
            data.clear();
        }
        if !too_big {
            data.extend_from_slice(unstuffed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    async fn say(stream: &mut TcpStream, text: &str) -> String {
        stream.write_all(text.as_bytes()).await.unwrap();
        let mut buffer = vec![0; 1024];
        let read = stream.read(&mut buffer).await.unwrap();
        String::from_utf8_lossy(&buffer[..read]).into_owned()
    }

    #[tokio::test]
    async fn keeps_a_message_refuses_when_told_and_stops() {
        let catcher = MailCatcher::start("127.0.0.1:0").await.unwrap();
        catcher.refuse_next(1);
        let mut stream = TcpStream::connect(catcher.address()).await.unwrap();
        let mut greeting = vec![0; 100];
        let read = stream.read(&mut greeting).await.unwrap();
        assert!(greeting[..read].starts_with(b"220"));
        assert!(say(&mut stream, "EHLO test\r\n").await.starts_with("250-"));
        assert!(
            say(&mut stream, "MAIL FROM:<a@example.com>\r\n")
                .await
                .starts_with("451")
        );
        assert!(
            say(&mut stream, "MAIL FROM:<a@example.com>\r\n")
                .await
                .starts_with("250")
        );
        assert!(
            say(&mut stream, "RCPT TO:<b@example.com>\r\n")
                .await
                .starts_with("250")
        );
        assert!(say(&mut stream, "DATA\r\n").await.starts_with("354"));
        let done = say(&mut stream, "Subject: hi\r\n\r\n..dot\r\nline\r\n.\r\n").await;
        assert!(done.starts_with("250"), "{done}");
        assert!(say(&mut stream, "QUIT\r\n").await.starts_with("221"));
        let received = catcher.wait_for(1, std::time::Duration::from_secs(5)).await;
        assert_eq!(received.len(), 1);
        assert_eq!(received[0].from, "a@example.com");
        assert_eq!(received[0].to, vec!["b@example.com".to_owned()]);
        assert_eq!(received[0].text(), "Subject: hi\r\n\r\n.dot\r\nline\r\n");
        assert_eq!(catcher.refused(), 1);
        let address = catcher.address();
        catcher.stop().await;
        assert!(TcpStream::connect(address).await.is_err());
    }
}
