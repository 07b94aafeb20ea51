//! What a test's own code logs, captured: a `tracing` fmt subscriber for the current thread
//! writing into memory, read back as lines.

use std::io::Write;
use std::sync::{Arc, Mutex};

use tracing::subscriber::DefaultGuard;

/// Everything the fmt subscriber writes while its guard lives on this thread.
#[derive(Clone, Default)]
pub struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("not poisoned").extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    /// Captures events at `level` and above (no ANSI colours) until the guard drops.
    pub fn capture(level: tracing::Level) -> (Logs, DefaultGuard) {
        let logs = Logs::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .with_max_level(level)
            .finish();
        steady_log_interest();
        (logs, tracing::subscriber::set_default(subscriber))
    }

    /// Everything written so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("not poisoned")).into_owned()
    }

    /// The lines written so far.
    pub fn lines(&self) -> Vec<String> {
        self.text().lines().map(str::to_owned).collect()
    }

    /// The lines holding `part`.
    pub fn containing(&self, part: &str) -> Vec<String> {
        self.lines()
            .into_iter()
            .filter(|line| line.contains(part))
            .collect()
    }

    /// The one line holding `part`; panics, showing every line, if there is none or more.
    pub fn only_line(&self, part: &str) -> String {
        let mut found = self.containing(part);
        match found.len() {
            1 => found.remove(0),
            n => panic!("{n} lines hold {part:?}, not one: {:#?}", self.lines()),
        }
    }
}

/// One binary runs every test at once, most with no subscriber: a callsite first met there
/// could cache "never" and hide a span from a logging test's own subscriber. A global registry
/// (writing nowhere) that wants this workspace's own events and spans at `DEBUG` and up keeps
/// those callsites asking; other crates' callsites stay as cheap as without it.
fn steady_log_interest() {
    use tracing::level_filters::LevelFilter;
    use tracing_subscriber::filter::Targets;
    use tracing_subscriber::layer::SubscriberExt;
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let ours = Targets::new().with_target("attractos", LevelFilter::DEBUG);
        let registry = tracing_subscriber::registry().with(ours);
        tracing::subscriber::set_global_default(registry).expect("no global subscriber yet");
    });
}
