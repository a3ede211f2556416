//! xrun-monitor: a read-only terminal view of the xrun job store. It follows
//! the events journal and redraws a job table (state, machine, scheduler id,
//! runtime, diagnosis) with plain ANSI escapes.
//!
//!   xrun-monitor [--home DIR] [--interval MS] [--limit N] [--poll]
//!                [--once] [--iterations N] [--no-colour]
//!
//! --once prints the table once without escapes (for scripts and tests).
#![forbid(unsafe_code)]

use std::io::Write;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use xrun_monitor::monitor::Monitor;

struct Args {
    home: Option<String>,
    interval: Duration,
    limit: usize,
    poll: bool,
    once: bool,
    iterations: Option<u64>,
    colour: bool,
}

const USAGE: &str = "usage: xrun-monitor [--home DIR] [--interval MS] [--limit N] [--poll] [--once] \
                     [--iterations N] [--no-colour]";

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        home: None,
        interval: Duration::from_millis(1000),
        limit: 40,
        poll: false,
        once: false,
        iterations: None,
        colour: std::env::var_os("NO_COLOR").is_none(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{} needs a value\n{}", name, USAGE));
        match arg.as_str() {
            "--home" => args.home = Some(value("--home")?),
            "--interval" => {
                let ms: u64 = value("--interval")?.parse().map_err(|_| "--interval: milliseconds".to_string())?;
                args.interval = Duration::from_millis(ms.max(50));
            }
            "--limit" => args.limit = value("--limit")?.parse().map_err(|_| "--limit: a number".to_string())?,
            "--iterations" => {
                args.iterations = Some(value("--iterations")?.parse().map_err(|_| "--iterations: a number".to_string())?)
            }
            "--poll" => args.poll = true,
            "--once" => args.once = true,
            "--no-colour" | "--no-color" => args.colour = false,
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown argument {}\n{}", other, USAGE)),
        }
    }
    Ok(args)
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

fn run(args: Args) -> xrun::Result<()> {
    let mut options = xrun::Options::new();
    if let Some(home) = &args.home {
        options = options.home(home);
    }
    let ctx = xrun::Context::open(options)?;
    let mut monitor = Monitor::new(ctx, args.limit, args.poll)?;
    if args.once {
        monitor.update()?;
        print!("{}", monitor.screen(now_ms(), false));
        return Ok(());
    }
    let stdout = std::io::stdout();
    let mut round = 0u64;
    loop {
        monitor.update()?;
        // Home, draw, clear what is left of the previous frame: no flicker,
        // no alternate screen to restore if the monitor is killed.
        let screen = monitor.screen(now_ms(), args.colour).replace('\n', "\x1b[K\n");
        let mut out = stdout.lock();
        let _ = write!(out, "\x1b[H{}\x1b[J", screen);
        let _ = out.flush();
        drop(out);
        round += 1;
        if args.iterations.is_some_and(|n| round >= n) {
            return Ok(());
        }
        std::thread::sleep(args.interval);
    }
}

fn main() {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{}", message);
            std::process::exit(2);
        }
    };
    if let Err(e) = run(args) {
        eprintln!("xrun-monitor: {}", e);
        std::process::exit(1);
    }
}
