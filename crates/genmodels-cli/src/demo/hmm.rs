//! The demo's hidden-Markov-model section: GNP regimes and geyser eruptions.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Result;
use genmodels::core::data::Sequences;
use genmodels::hmm::{GaussianInit, HmmParams};
use genmodels::io::csv::parse_csv;
use genmodels::io::save_model;
use genmodels::mixture::CovarianceType;

use super::report::md_table;
use crate::common::num;
use crate::plot;
const RGNP: &str = include_str!("../../../../data/sequences/markov_rgnp.csv");
const REC: &str = include_str!("../../../../data/sequences/markov_rec.csv");
const GEYSER: &str = include_str!("../../../../data/geyser_MASS.csv");

/// What the HMM section found (for the summary).
pub struct Summary {
    /// The share of quarters whose decoded regime agrees with the NBER recessions.
    pub agreement: f64,
    /// The number of states BIC chose for the geyser.
    pub geyser_states: usize,
}

/// Fits the two-regime GNP model and the geyser's HMM, with their pictures.
pub fn section(
    md: &mut String,
    path_of: &dyn Fn(&str) -> PathBuf,
    quick: bool,
    progress: &dyn Fn(&str),
) -> Result<Summary> {
    // --- Hidden Markov models: GNP regimes and geyser eruptions ------------------------------
    progress("hidden Markov models: GNP regimes, geyser eruptions");
    let t_hmm = Instant::now();
    let rgnp =
        parse_csv(RGNP.as_bytes(), Path::new("data/sequences/markov_rgnp.csv"))?.numeric(None)?;
    let rec =
        parse_csv(REC.as_bytes(), Path::new("data/sequences/markov_rec.csv"))?.numeric(None)?;
    let seqs = Sequences::single(rgnp.data.clone()).map_err(genmodels::core::Error::from)?;
    let n_init = if quick { 2 } else { 10 };
    let hmm = HmmParams::new(2, GaussianInit::new(CovarianceType::Diag))
        .max_iter(500)
        .tol(1e-8)
        .n_init(n_init)
        .seed(0)
        .fit(&seqs)?;
    let decoded = hmm.decode(&seqs)?;
    let path = &decoded[0].1;
    // The state with the lower mean growth is the recession regime.
    let low = if hmm.emission.means[[0, 0]] < hmm.emission.means[[1, 0]] {
        0
    } else {
        1
    };
    let agree = path
        .iter()
        .zip(rec.data.column(0))
        .filter(|(s, r)| ((**s == low) as u8 as f64) == **r)
        .count();
    let agreement = agree as f64 / path.len() as f64;
    let series: Vec<(f64, f64)> = rgnp
        .data
        .column(0)
        .iter()
        .enumerate()
        .map(|(t, v)| (t as f64, *v))
        .collect();
    plot::gmm_scatter(
        &path_of("rgnp_states.png"),
        "US real GNP growth, coloured by decoded regime (0 and 1 = HMM states)",
        "quarter since 1951Q2",
        "growth (%)",
        Some((&series, path)),
        &[],
        &[],
        &[],
    )?;
    save_model(&hmm, &path_of("rgnp_hmm.json"))?;
    let _ = writeln!(md, "## Hidden Markov model: recessions in US GNP growth\n");
    let _ = writeln!(
        md,
        "Hamilton's quarterly US real GNP growth, 1951Q2–1984Q4 (135 quarters). A 2-state Gaussian HMM \
         (Baum-Welch, {n_init} restarts) finds a low-growth regime (mean {} %, sd {}) and a high-growth \
         one (mean {} %, sd {}); expected durations {} and {} quarters. The Viterbi path agrees with \
         the NBER recession indicator on **{:.1} %** of quarters.\n",
        num(hmm.emission.means[[low, 0]]),
        num(hmm.emission.full_covariance(low)[[0, 0]].sqrt()),
        num(hmm.emission.means[[1 - low, 0]]),
        num(hmm.emission.full_covariance(1 - low)[[0, 0]].sqrt()),
        num(hmm.expected_durations()[low]),
        num(hmm.expected_durations()[1 - low]),
        100.0 * agreement
    );
    let _ = writeln!(md, "![GNP growth by regime](rgnp_states.png)\n");

    let geyser = parse_csv(GEYSER.as_bytes(), Path::new("data/geyser_MASS.csv"))?
        .numeric(Some(&["waiting".to_string(), "duration".to_string()]))?;
    let gseq = Sequences::single(geyser.data.clone()).map_err(genmodels::core::Error::from)?;
    let mut rows = Vec::new();
    let mut best: Option<(f64, genmodels::hmm::GaussianHmm)> = None;
    for k in 2..=4 {
        let m = HmmParams::new(
            k,
            GaussianInit {
                covariance: CovarianceType::Full,
                reg_covar: 1e-3,
            },
        )
        .max_iter(500)
        .tol(1e-6)
        .n_init(n_init)
        .seed(0)
        .fit(&gseq)?;
        let c = m.criteria(&gseq)?;
        let bic = c.bic();
        let collapsed = !m.emission.collapsed_components().is_empty();
        rows.push((
            k,
            c.total_log_likelihood,
            c.n_parameters,
            bic,
            c.aic(),
            collapsed,
        ));
        if !collapsed && best.as_ref().is_none_or(|b| bic < b.0) {
            best = Some((bic, m));
        }
    }
    let (_, ghmm) = best.ok_or_else(|| anyhow::anyhow!("every geyser HMM collapsed"))?;
    let gpath = &ghmm.decode(&gseq)?[0].1;
    let gseries: Vec<(f64, f64)> = geyser
        .data
        .column(0)
        .iter()
        .enumerate()
        .map(|(t, v)| (t as f64, *v))
        .collect();
    plot::gmm_scatter(
        &path_of("geyser_states.png"),
        &format!(
            "Old Faithful waiting times in eruption order, coloured by state ({}-state HMM)",
            ghmm.n_states()
        ),
        "eruption",
        "waiting (min)",
        Some((&gseries, gpath)),
        &[],
        &[],
        &[],
    )?;
    let _ = writeln!(
        md,
        "## Hidden Markov model: consecutive Old Faithful eruptions\n"
    );
    let _ = writeln!(
        md,
        "299 consecutive eruptions (waiting time, duration) as one sequence; 2–4 state Gaussian HMMs \
         with full covariances (`reg_covar` 1e-3: some nocturnal durations were recorded as exactly 2, 3 \
         or 4 minutes), chosen by BIC: **{} states**.\n",
        ghmm.n_states()
    );
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|(k, ll, p, bic, aic, collapsed)| {
            let mark = if *k == ghmm.n_states() {
                " **← chosen**"
            } else if *collapsed {
                " (collapsed)"
            } else {
                ""
            };
            vec![
                k.to_string(),
                p.to_string(),
                num(*ll),
                format!("{}{mark}", num(*bic)),
                num(*aic),
            ]
        })
        .collect();
    md_table(
        md,
        &["states", "parameters", "log-likelihood", "BIC", "AIC"],
        &table,
    );
    let trans: Vec<Vec<String>> = (0..ghmm.n_states())
        .map(|i| {
            let mut r = vec![
                i.to_string(),
                num(ghmm.emission.means[[i, 0]]),
                num(ghmm.emission.means[[i, 1]]),
            ];
            r.extend(ghmm.transmat.row(i).iter().map(|p| format!("{p:.3}")));
            r
        })
        .collect();
    let mut header = vec![
        "state".to_string(),
        "mean waiting".into(),
        "mean duration".into(),
    ];
    header.extend((0..ghmm.n_states()).map(|j| format!("→{j}")));
    let header_refs: Vec<&str> = header.iter().map(String::as_str).collect();
    md_table(md, &header_refs, &trans);
    let _ = writeln!(md, "![geyser waiting times by state](geyser_states.png)\n");
    let hmm_secs = t_hmm.elapsed().as_secs_f64();
    let _ = writeln!(md, "(HMM section: {hmm_secs:.2} s.)\n");
    Ok(Summary {
        agreement,
        geyser_states: ghmm.n_states(),
    })
}
