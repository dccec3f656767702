//! A TCP proxy for fault injection: forwards connections to a broker and can cut all
//! of them at once, as a network failure would, and hold the broker's answers back for
//! a while, as a slow network would. It is not a broker: bytes pass through untouched.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// A running proxy.
pub struct Proxy {
    port: u16,
    live: Arc<Mutex<Vec<TcpStream>>>,
    cuts: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    /// How long each chunk from the broker is held back, in milliseconds.
    delay_ms: Arc<AtomicU64>,
}

impl Proxy {
    /// Listens on `listen_port` (0 for any) and forwards to `127.0.0.1:target_port`.
    pub fn start(listen_port: u16, target_port: u16) -> Proxy {
        let listener = TcpListener::bind(("127.0.0.1", listen_port)).expect("bind proxy");
        let port = listener.local_addr().expect("addr").port();
        let live: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let delay_ms = Arc::new(AtomicU64::new(0));
        {
            let live = Arc::clone(&live);
            let stop = Arc::clone(&stop);
            let delay_ms = Arc::clone(&delay_ms);
            thread::spawn(move || {
                for client in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(client) = client else { continue };
                    let Ok(server) = TcpStream::connect(("127.0.0.1", target_port)) else {
                        let _ = client.shutdown(Shutdown::Both);
                        continue;
                    };
                    let _ = client.set_nodelay(true);
                    let _ = server.set_nodelay(true);
                    {
                        let mut live = live.lock().unwrap();
                        live.push(client.try_clone().expect("clone"));
                        live.push(server.try_clone().expect("clone"));
                    }
                    pump(
                        client.try_clone().expect("clone"),
                        server.try_clone().expect("clone"),
                        None,
                    );
                    pump(server, client, Some(Arc::clone(&delay_ms)));
                }
            });
        }
        Proxy {
            port,
            live,
            cuts: Arc::new(AtomicUsize::new(0)),
            stop,
            delay_ms,
        }
    }

    /// The port clients connect to.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Closes every connection through the proxy (new ones are accepted again).
    pub fn cut_all(&self) {
        let streams: Vec<TcpStream> = self.live.lock().unwrap().drain(..).collect();
        for s in streams {
            let _ = s.shutdown(Shutdown::Both);
        }
        self.cuts.fetch_add(1, Ordering::SeqCst);
    }

    /// Holds back every chunk the broker sends for `delay` before passing it on (zero
    /// to stop).
    pub fn delay_responses(&self, delay: Duration) {
        self.delay_ms.store(
            u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
            Ordering::SeqCst,
        );
    }

    /// How many times connections were cut.
    pub fn cuts(&self) -> usize {
        self.cuts.load(Ordering::SeqCst)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.cut_all();
        // Unblock the accept loop.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn pump(mut from: TcpStream, mut to: TcpStream, delay_ms: Option<Arc<AtomicU64>>) {
    thread::spawn(move || {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let delay = delay_ms.as_ref().map_or(0, |d| d.load(Ordering::SeqCst));
                    if delay > 0 {
                        // The injected slowness itself, not a wait for anything.
                        thread::sleep(Duration::from_millis(delay));
                    }
                    if to.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            }
        }
        let _ = to.shutdown(Shutdown::Both);
        let _ = from.shutdown(Shutdown::Both);
    });
}
