//! The `genmodels` command-line tool.

use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};

/// `println!` for the whole tool: a line on stdout that, when stdout cannot be written (a full
/// disk, a closed file), ends the program with exit 1 and one line on stderr instead of std's
/// panic ("failed printing to stdout", exit 101).
macro_rules! println {
    () => {
        $crate::common::out_line(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::common::out_line(format_args!($($arg)*))
    };
}

mod common;
mod demo;
mod families;
mod input;
mod neural;
mod output;
mod plot;
mod verbs;

use common::{exit_code, OutputFlags};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Fit, score, sample and query generative models.
#[derive(Parser, Debug)]
#[command(name = "genmodels", version, about, long_about = None, after_help = "Examples:\n  genmodels fit gmm data/old_faithful.csv --columns eruptions,waiting --components 1..6 -o faithful.json\n  genmodels info faithful.json\n  genmodels sample faithful.json -n 5 --given waiting=80\n  genmodels demo")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
    #[command(flatten)]
    out: OutputFlags,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Fit a model to data and save it.
    Fit {
        // Boxed: the fit arguments of all families are much larger than the other commands'.
        #[command(subcommand)]
        family: Box<families::FitFamily>,
    },
    /// Per-row (per-sequence) log-likelihood of data under a model.
    Score(verbs::ScoreArgs),
    /// Clusters / classes / states of each row, or missing values filled in.
    Predict(verbs::PredictArgs),
    /// Draw new data from a model, optionally given some known values.
    Sample(verbs::SampleArgs),
    /// What a model file holds: parameters, fit report, model-selection table.
    Info(verbs::InfoArgs),
    /// Ask a Bayesian network: posterior marginals or joints given evidence, the most probable
    /// explanation, interventions, many queries from a CSV.
    Query(families::bn::QueryArgs),
    /// The picture a person wants of a model (PNG or SVG).
    Plot(verbs::PlotArgs),
    /// Every family on the bundled data, with a report.
    Demo(demo::DemoArgs),
    /// A VAE's latent space: interpolate between two images, shift images along an attribute.
    #[command(subcommand)]
    Vae(families::vae::VaeCmd),
}

fn run(cli: Cli) -> Result<()> {
    let out = &cli.out;
    match &cli.cmd {
        Cmd::Fit { family } => family.run(out),
        Cmd::Score(a) => {
            let model = families::load(&a.model)?;
            families::check_score_flags(model.as_ref(), a)?;
            model.score(a, out)
        }
        Cmd::Predict(a) => {
            if !a.target.is_empty() && !families::bn::is_network_file(&a.model) {
                return Err(common::usage(
                    "--target is for Bayesian networks (.bif/.xmlbif); other models predict every row's class, component or state",
                ));
            }
            families::load(&a.model)?.predict(a, out)
        }
        Cmd::Sample(a) => families::load(&a.model)?.sample(a, out),
        Cmd::Info(a) => families::load(&a.model)?.info(out),
        Cmd::Plot(a) => families::load(&a.model)?.plot(a, out),
        Cmd::Query(a) => families::bn::query(a, out),
        Cmd::Demo(a) => demo::run(a, out),
        Cmd::Vae(c) => families::vae::run(c, out),
    }
}

fn main() -> ExitCode {
    // Like every Unix tool, end quietly when the reader of our output goes away
    // (`genmodels predict … | head`) instead of panicking on a broken pipe.
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of SIGPIPE before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    common::handle_interrupts();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => {
            common::flush_stdout();
            ExitCode::SUCCESS
        }
        Err(e) => {
            // Library errors already quote their cause; add a cause only when it says more.
            let mut msg = String::new();
            for cause in e.chain() {
                let c = cause.to_string();
                if !msg.contains(&c) {
                    if !msg.is_empty() {
                        msg.push_str(": ");
                    }
                    msg.push_str(&c);
                }
            }
            eprintln!("error: {msg}");
            ExitCode::from(exit_code(&e) as u8)
        }
    }
}
