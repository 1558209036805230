//! A real terminal for tests of a terminal UI: a private tmux server (its
//! own socket, no user config) running one command in an 80x25 pane;
//! keys go in with `send-keys`, the screen comes back as text with
//! `capture-pane`, and the pane stays after its command exits, so its
//! last screen can be read and the pane respawned with another command.
//! The exit status is written to a file by the pane's shell: tmux 3.3
//! marks a pane dead when its terminal closes and may never fill in
//! `pane_dead_status` if the process is reaped after that.

use crate::wait_until;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

/// One tmux pane on a private server; the server is killed on drop.
pub struct Pane {
    socket: PathBuf,
    /// Where the shell writes the exit status of the pane's command.
    status: PathBuf,
}

const TARGET: &str = "ui:0.0";

impl Pane {
    /// Starts a server with its socket and config in `dir`, running
    /// `command` (a shell command line) in a `width` x `height` pane.
    pub fn start(dir: &Path, width: u16, height: u16, command: &str) -> Pane {
        std::fs::create_dir_all(dir).expect("tmux dir");
        let config = dir.join("tmux.conf");
        // The pane outlives its command: its screen and status stay readable.
        std::fs::write(&config, "set -g remain-on-exit on\nset -g status off\n")
            .expect("tmux config");
        let pane = Pane {
            socket: dir.join("tmux.sock"),
            status: dir.join("exit.status"),
        };
        let command = pane.reporting(command);
        let (w, h) = (width.to_string(), height.to_string());
        let conf = config.to_string_lossy().to_string();
        let args = [
            "-f",
            &conf,
            "new-session",
            "-d",
            "-s",
            "ui",
            "-x",
            &w,
            "-y",
            &h,
            &command,
        ];
        let out = pane.tmux(&args);
        assert!(out.status.success(), "tmux new-session: {out:?}");
        pane
    }

    /// Types `text` literally (no key names), as a keyboard-wedge scanner does.
    pub fn type_text(&self, text: &str) {
        self.send(&["send-keys", "-t", TARGET, "-l", text]);
    }

    /// Presses named keys (`Enter`, `Escape`, `C-c`).
    pub fn press(&self, key: &str) {
        self.send(&["send-keys", "-t", TARGET, key]);
    }

    /// Types `text` and presses Enter.
    pub fn enter(&self, text: &str) {
        if !text.is_empty() {
            self.type_text(text);
        }
        self.press("Enter");
    }

    /// The screen as text, one string per row (trailing blanks trimmed).
    pub fn screen(&self) -> Vec<String> {
        let out = self.tmux(&["capture-pane", "-p", "-t", TARGET]);
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| l.trim_end().to_string())
            .collect()
    }

    /// Waits until the screen shows every one of `texts`; returns it.
    pub fn wait_for(&self, texts: &[&str], timeout: Duration) -> Vec<String> {
        let mut last = Vec::new();
        let found = wait_until(&format!("screen showing {texts:?}"), timeout, || {
            last = self.screen();
            let all = last.join("\n");
            texts.iter().all(|t| all.contains(t)).then(|| last.clone())
        });
        found.unwrap_or_else(|e| panic!("{e}; the screen was:\n{}", last.join("\n")))
    }

    /// The exit status once the pane's command has ended (128 + the
    /// signal's number if a signal ended it, as the shell reports it).
    pub fn wait_exit(&self, timeout: Duration) -> Option<i32> {
        wait_until("the pane's command to exit", timeout, || {
            let text = std::fs::read_to_string(&self.status).ok()?;
            // Complete once the shell wrote its newline.
            text.strip_suffix('\n')?.trim().parse().ok()
        })
        .ok()
    }

    /// The pane's state in words, for a failure message: dead or not,
    /// exit status and signal, the process and what it runs.
    pub fn describe(&self) -> String {
        let format = "dead=#{pane_dead} status=#{pane_dead_status} signal=#{pane_dead_signal} \
                      pid=#{pane_pid} command=#{pane_current_command}";
        let out = self.tmux(&["display-message", "-p", "-t", TARGET, format]);
        String::from_utf8_lossy(&out.stdout).trim_end().to_string()
    }

    /// Runs `command` in the pane again (after the last one exited).
    pub fn respawn(&self, command: &str) {
        let _ = std::fs::remove_file(&self.status);
        let command = self.reporting(command);
        let out = self.tmux(&["respawn-pane", "-t", TARGET, &command]);
        assert!(out.status.success(), "tmux respawn-pane: {out:?}");
    }

    /// `command`, then its exit status written to the status file.
    fn reporting(&self, command: &str) -> String {
        let status = shell_quote(&self.status.to_string_lossy());
        format!("{command}; echo $? > {status}")
    }

    fn send(&self, args: &[&str]) {
        let out = self.tmux(args);
        assert!(out.status.success(), "tmux {args:?}: {out:?}");
    }

    fn tmux(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(args)
            .env_remove("TMUX")
            .output()
            .expect("run tmux (scripts/test.sh installs it)")
    }
}

impl Drop for Pane {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
    }
}

/// `arg` quoted for a POSIX shell command line.
pub fn shell_quote(arg: &str) -> String {
    format!("'{}'", arg.replace('\'', r"'\''"))
}
