//! xrun-top: follows the xrun job store in a terminal UI. Reads the store
//! only; asks the clusters (one poll round per interval) only with --poll.
#![forbid(unsafe_code)]

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::Parser;
use crossterm::event::{self, Event};
use crossterm::terminal::{disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen};
use crossterm::{cursor, execute};
use tui::backend::CrosstermBackend;
use tui::Terminal;

use xrun_top::app::App;
use xrun_top::model::Model;
use xrun_top::ui;

/// Terminal UI over the xrun job store: jobs, a job's details, machines;
/// cancel, hold, release or send the selected job (each asks first).
#[derive(Parser, Debug)]
#[command(name = "xrun-top", version)]
struct Args {
    /// The xrun home (default: $XRUN_HOME, else ~/.xrun).
    #[arg(long, value_name = "DIR")]
    home: Option<PathBuf>,
    /// How often to read the journal (and poll, with --poll), in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    interval: u64,
    /// Read at most this many of the newest jobs at start (0: all).
    #[arg(long, value_name = "N", default_value_t = 0)]
    limit: i64,
    /// Also run poll rounds (contacts the clusters); otherwise the store only.
    #[arg(long)]
    poll: bool,
    /// No keys that change jobs.
    #[arg(long)]
    read_only: bool,
    /// Print the job table once as plain text and exit.
    #[arg(long)]
    once: bool,
    /// Without a terminal UI: print the plain table after each of N rounds.
    #[arg(long, value_name = "N")]
    iterations: Option<u64>,
    /// No colours (also when NO_COLOR is set).
    #[arg(long, alias = "no-color")]
    no_colour: bool,
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

fn plain_table(app: &mut App) -> String {
    app.refresh(now_ms());
    let mut out = format!(
        "xrun-top {}  jobs {}  journal seq {}\n",
        app.model.context().home().display(),
        app.model.len(),
        app.model.last_seq()
    );
    out += &ui::HEADERS.join("\t");
    out.push('\n');
    for id in app.view.visible() {
        if let Some(row) = app.model.row(id) {
            out += &ui::cells(row, app.now_ms).join("\t");
            out.push('\n');
        }
    }
    out
}

fn run_plain(app: &mut App, rounds: u64, interval: Duration) -> xrun::Result<()> {
    let stdout = std::io::stdout();
    for round in 0..rounds.max(1) {
        if round > 0 {
            std::thread::sleep(interval);
            app.model.update()?;
        }
        let mut out = stdout.lock();
        let _ = out.write_all(plain_table(app).as_bytes());
        let _ = out.flush();
    }
    Ok(())
}

fn restore_terminal() {
    let _ = disable_raw_mode();
    let _ = execute!(std::io::stdout(), LeaveAlternateScreen, cursor::Show);
}

fn run_tui(app: &mut App, interval: Duration) -> std::io::Result<()> {
    enable_raw_mode()?;
    execute!(std::io::stdout(), EnterAlternateScreen, cursor::Hide)?;
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore_terminal();
        default_hook(info);
    }));
    let mut terminal = Terminal::new(CrosstermBackend::new(std::io::stdout()))?;
    let result = event_loop(&mut terminal, app, interval);
    restore_terminal();
    result
}

/// Redraws when something changed (a key, the store, the terminal's size)
/// and once a second for the running clocks.
fn event_loop<B: tui::backend::Backend>(terminal: &mut Terminal<B>, app: &mut App, interval: Duration) -> std::io::Result<()> {
    const TICK: Duration = Duration::from_secs(1);
    let mut dirty = true;
    let mut last_draw = Instant::now();
    let mut last_update = Instant::now();
    loop {
        if dirty || last_draw.elapsed() >= TICK {
            let started = Instant::now();
            app.refresh(now_ms());
            terminal.draw(|f| ui::draw(f, app))?;
            app.frame_ms = started.elapsed().as_secs_f64() * 1000.0;
            last_draw = Instant::now();
            dirty = false;
        }
        let until_update = interval.saturating_sub(last_update.elapsed());
        let until_tick = TICK.saturating_sub(last_draw.elapsed());
        if event::poll(until_update.min(until_tick))? {
            match event::read()? {
                Event::Key(key) => {
                    if !app.key(key) {
                        return Ok(());
                    }
                    dirty = true;
                }
                Event::Resize(..) => dirty = true,
                _ => {}
            }
        }
        if last_update.elapsed() >= interval {
            last_update = Instant::now();
            match app.model.update() {
                Ok(changed) => dirty |= !changed.is_empty(),
                Err(e) => {
                    app.status = Some(format!("reading the store failed: {e}"));
                    dirty = true;
                }
            }
        }
    }
}

fn main() {
    let args = Args::parse();
    let mut options = xrun::Options::new();
    if let Some(home) = &args.home {
        options = options.home(home);
    }
    let model = xrun::Context::open(options).and_then(|ctx| Model::open(ctx, args.limit, args.poll));
    let model = match model {
        Ok(model) => model,
        Err(e) => {
            eprintln!("xrun-top: {e}");
            std::process::exit(1);
        }
    };
    let mut app = App::new(model, args.read_only, args.poll);
    app.colour = !args.no_colour && std::env::var_os("NO_COLOR").is_none();
    let interval = Duration::from_millis(args.interval.max(50));
    let outcome = if args.once || args.iterations.is_some() {
        run_plain(&mut app, args.iterations.unwrap_or(1), interval).map_err(|e| e.to_string())
    } else {
        run_tui(&mut app, interval).map_err(|e| e.to_string())
    };
    if let Err(e) = outcome {
        eprintln!("xrun-top: {e}");
        std::process::exit(1);
    }
}
