//! Progress of a long command (`folio import`, `folio migrate`) on stderr: one line
//! rewritten in place on a terminal, a line every few seconds in a log (CI, a pipe
//! into a file), never a line per item, and the line ended before the command's
//! own answer.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// How often the line is rewritten on a terminal.
const TERMINAL_EVERY: Duration = Duration::from_millis(250);
/// How often a new line is written to a log.
const LOG_EVERY: Duration = Duration::from_secs(5);

pub struct Progress {
    unit: &'static str,
    total: usize,
    terminal: bool,
    last: Option<Instant>,
    /// A line is on the terminal without its newline.
    open_line: bool,
}

impl Progress {
    /// Progress through `total` of `unit` ("files", "lines") on this process's stderr.
    pub fn new(unit: &'static str, total: usize) -> Self {
        Self::with_terminal(unit, total, std::io::stderr().is_terminal())
    }

    fn with_terminal(unit: &'static str, total: usize, terminal: bool) -> Self {
        Self {
            unit,
            total,
            terminal,
            last: None,
            open_line: false,
        }
    }

    /// `done` of the total are done.
    pub fn update(&mut self, done: usize) {
        if let Some(text) = self.text_at(done, Instant::now()) {
            let mut err = std::io::stderr().lock();
            let _ = err.write_all(text.as_bytes());
            let _ = err.flush();
        }
    }

    /// A message of its own, on a line of its own (the progress line is ended
    /// first).
    pub fn note(&mut self, message: &str) {
        let text = format!("{}{message}\n", self.closing_text().unwrap_or(""));
        let _ = std::io::stderr().write_all(text.as_bytes());
    }

    /// What to write when `done` are done at `now`, if anything: the first
    /// figure, the last, and one per interval between.
    fn text_at(&mut self, done: usize, now: Instant) -> Option<String> {
        let every = if self.terminal {
            TERMINAL_EVERY
        } else {
            LOG_EVERY
        };
        let due = self
            .last
            .is_none_or(|last| now.duration_since(last) >= every);
        if !due && done != self.total {
            return None;
        }
        self.last = Some(now);
        let figure = format!("{done}/{} {}", self.total, self.unit);
        Some(if self.terminal {
            self.open_line = done != self.total;
            let end = if done == self.total { "\n" } else { "" };
            format!("\r{figure}{end}")
        } else {
            format!("{figure}\n")
        })
    }

    /// Ends the line on a terminal when the command stops short of the total.
    fn closing_text(&mut self) -> Option<&'static str> {
        std::mem::take(&mut self.open_line).then_some("\n")
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(text) = self.closing_text() {
            let _ = std::io::stderr().write_all(text.as_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every text written for `done` in `0..=total` at `step` apart.
    fn written(terminal: bool, total: usize, step: Duration) -> Vec<String> {
        let mut progress = Progress::with_terminal("files", total, terminal);
        let start = Instant::now();
        (1..=total)
            .filter_map(|done| progress.text_at(done, start + step * done as u32))
            .collect()
    }

    #[test]
    fn a_log_gets_a_line_every_few_seconds_not_a_line_per_item() {
        // 1,000 files, 10 ms each: 10 s in all.
        let lines = written(false, 1000, Duration::from_millis(10));
        assert_eq!(
            lines,
            ["1/1000 files\n", "501/1000 files\n", "1000/1000 files\n"]
        );
    }

    #[test]
    fn a_terminal_line_is_rewritten_in_place_and_ended_before_the_answer() {
        let lines = written(true, 1000, Duration::from_millis(1));
        assert!(lines.len() < 10, "{} writes", lines.len());
        assert!(lines.iter().all(|l| l.starts_with('\r')));
        assert!(lines[..lines.len() - 1].iter().all(|l| !l.contains('\n')));
        assert_eq!(lines.last().unwrap(), "\r1000/1000 files\n");
    }

    #[test]
    fn a_command_that_stops_short_ends_the_terminal_line() {
        let mut progress = Progress::with_terminal("files", 10, true);
        assert_eq!(
            progress.text_at(3, Instant::now()).as_deref(),
            Some("\r3/10 files")
        );
        assert_eq!(progress.closing_text(), Some("\n"));
        assert_eq!(progress.closing_text(), None, "ended once");
        let mut log = Progress::with_terminal("files", 10, false);
        log.text_at(3, Instant::now());
        assert_eq!(log.closing_text(), None, "a log's lines are ended already");
    }
}
