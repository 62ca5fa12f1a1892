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
/// Back to the start of the terminal's line, and the old figure erased (a shorter
/// one would leave its tail).
const REWRITE: &str = "\r\x1b[K";

pub struct Progress {
    /// What is counted and how many there are, when known.
    of: Option<(&'static str, usize)>,
    terminal: bool,
    last: Option<Instant>,
    /// A line is on the terminal without its newline.
    open_line: bool,
    /// The latest figure, when it was not shown: shown when the progress ends.
    unshown: Option<String>,
}

impl Progress {
    /// Progress through `total` of `unit` ("files", "lines") on this process's stderr.
    pub fn new(unit: &'static str, total: usize) -> Self {
        Self::with_terminal(Some((unit, total)), std::io::stderr().is_terminal())
    }

    /// Progress whose end is not known: `update_text` shows its figures.
    pub fn open_ended() -> Self {
        Self::with_terminal(None, std::io::stderr().is_terminal())
    }

    fn with_terminal(of: Option<(&'static str, usize)>, terminal: bool) -> Self {
        Self {
            of,
            terminal,
            last: None,
            open_line: false,
            unshown: None,
        }
    }

    /// `done` of the total are done.
    pub fn update(&mut self, done: usize) {
        let text = self.text_at(done, Instant::now());
        write(text);
    }

    /// A running figure of progress with no known end; the latest is shown when
    /// the progress ends.
    pub fn update_text(&mut self, figure: String) {
        let text = self.line_at(Instant::now(), false, figure);
        write(text);
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
        let (unit, total) = self.of.unwrap_or(("", 0));
        self.line_at(now, done == total, format!("{done}/{total} {unit}"))
    }

    /// What to write of `figure` at `now`: the first, the `last`, and one per
    /// interval between.
    fn line_at(&mut self, now: Instant, last: bool, figure: String) -> Option<String> {
        let every = if self.terminal {
            TERMINAL_EVERY
        } else {
            LOG_EVERY
        };
        let due = self
            .last
            .is_none_or(|shown| now.duration_since(shown) >= every);
        if !due && !last {
            self.unshown = Some(figure);
            return None;
        }
        self.last = Some(now);
        self.unshown = None;
        Some(if self.terminal {
            self.open_line = !last;
            let end = if last { "\n" } else { "" };
            format!("{REWRITE}{figure}{end}")
        } else {
            format!("{figure}\n")
        })
    }

    /// Ends the line on a terminal when the command stops short of the total.
    fn closing_text(&mut self) -> Option<&'static str> {
        std::mem::take(&mut self.open_line).then_some("\n")
    }

    /// What ending the progress writes: the latest figure if it was not shown,
    /// and the end of the terminal's line.
    fn final_text(&mut self) -> Option<String> {
        let figure = self.unshown.take().map(|figure| {
            if self.terminal {
                self.open_line = true;
                format!("{REWRITE}{figure}")
            } else {
                format!("{figure}\n")
            }
        });
        let end = self.closing_text();
        match (figure, end) {
            (None, None) => None,
            (figure, end) => Some(format!(
                "{}{}",
                figure.unwrap_or_default(),
                end.unwrap_or("")
            )),
        }
    }
}

fn write(text: Option<String>) {
    if let Some(text) = text {
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(text.as_bytes());
        let _ = err.flush();
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        write(self.final_text());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every text written for `done` in `0..=total` at `step` apart.
    fn written(terminal: bool, total: usize, step: Duration) -> Vec<String> {
        let mut progress = Progress::with_terminal(Some(("files", total)), terminal);
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
        assert_eq!(lines.last().unwrap(), "\r\x1b[K1000/1000 files\n");
    }

    #[test]
    fn figures_with_no_known_end_are_shown_as_often_and_the_line_ended_after() {
        let mut progress = Progress::with_terminal(None, true);
        let start = Instant::now();
        let shown: Vec<String> = (0..100u32)
            .filter_map(|n| {
                let at = start + Duration::from_millis(10) * n;
                progress.line_at(at, false, format!("{n} items checked"))
            })
            .collect();
        assert_eq!(
            shown,
            [
                "\r\x1b[K0 items checked",
                "\r\x1b[K25 items checked",
                "\r\x1b[K50 items checked",
                "\r\x1b[K75 items checked"
            ]
        );
        assert_eq!(
            progress.final_text().as_deref(),
            Some("\r\x1b[K99 items checked\n"),
            "the latest figure, shown at the end"
        );
        assert_eq!(progress.final_text(), None);
        let mut log = Progress::with_terminal(None, false);
        log.line_at(Instant::now(), false, "1 item".into());
        log.line_at(Instant::now(), false, "2 items".into());
        assert_eq!(log.final_text().as_deref(), Some("2 items\n"));
    }

    #[test]
    fn a_command_that_stops_short_ends_the_terminal_line() {
        let mut progress = Progress::with_terminal(Some(("files", 10)), true);
        assert_eq!(
            progress.text_at(3, Instant::now()).as_deref(),
            Some("\r\x1b[K3/10 files")
        );
        assert_eq!(progress.closing_text(), Some("\n"));
        assert_eq!(progress.closing_text(), None, "ended once");
        let mut log = Progress::with_terminal(Some(("files", 10)), false);
        log.text_at(3, Instant::now());
        assert_eq!(log.closing_text(), None, "a log's lines are ended already");
    }
}
