//! The demo's Bayesian-network section: sprinkler, queries and the MPE on alarm, alarm
//! learned back from data sampled from it.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use genmodels::core::{rng_from_seed, Fit, Sample};
use genmodels::io::write_atomic;

use super::report::md_table;
const SPRINKLER: &str = include_str!("../../../../data/bayesnets/sprinkler.bif");
const ALARM: &str = include_str!("../../../../data/bayesnets/alarm.bif");

/// What the Bayesian-network section found (for the summary).
pub struct BnSummary {
    pub p_rain_given_wet: f64,
    pub rows: usize,
    pub shd: usize,
    pub learned_edges: usize,
}

/// The sprinkler network's joint table and questions to it; a query and the MPE on alarm with
/// its graph; alarm learned back from data sampled from it.
pub fn section(
    md: &mut String,
    path_of: &dyn Fn(&str) -> PathBuf,
    quick: bool,
) -> Result<BnSummary> {
    use genmodels::bayesnet::formats::{parse_bif, to_svg, write_network};
    use genmodels::bayesnet::inference::{mpe, VariableElimination};
    use genmodels::bayesnet::learn::{
        data_variables, fit_parameters, Dag, Estimator, HillClimb, ScoreKind,
    };

    let t0 = Instant::now();
    let net = parse_bif(SPRINKLER, Path::new("data/bayesnets/sprinkler.bif"))?;
    let joint = net.joint()?;
    let _ = writeln!(md, "## Bayesian network: rain, sprinkler, wet grass\n");
    let _ = writeln!(
        md,
        "Rain makes it less likely that the sprinkler is on; both wet the grass. The graph and its \
         three tables (`data/bayesnets/sprinkler.bif`) give the whole joint distribution, the \
         product of the tables:\n"
    );
    let rows: Vec<Vec<String>> = (0..joint.values().len())
        .map(|i| {
            let mut r: Vec<String> = joint
                .assignment(i)
                .iter()
                .zip(joint.vars())
                .map(|(&s, &v)| net.variable(v).states[s].clone())
                .collect();
            r.push(format!("{:.5}", joint.values()[i]));
            r
        })
        .collect();
    md_table(md, &["rain", "sprinkler", "grass_wet", "P"], &rows);
    let ve = VariableElimination::new(&net);
    let rain = net.index_of("rain")?;
    let wet = net.evidence(&[("grass_wet", "yes")])?;
    let on = net.evidence(&[("sprinkler", "on")])?;
    let p_rain_given_wet = ve.query(&[rain], &wet)?.values()[0];
    let p_seen_on = ve.query(&[rain], &on)?.values()[0];
    let p_do_on = ve.query_do(&[rain], &[], &on)?.values()[0];
    let _ = writeln!(
        md,
        "Read the other way: the grass is wet — did it rain? P(rain = yes | grass_wet = yes) = \
         **{p_rain_given_wet:.4}** (0.2 before looking). *Seeing* the sprinkler on makes rain less \
         likely, P(rain = yes | sprinkler = on) = {p_seen_on:.4}; *switching it on* by hand says \
         nothing about the weather, P(rain = yes | do(sprinkler = on)) = {p_do_on:.4}.\n"
    );

    let alarm = parse_bif(ALARM, Path::new("data/bayesnets/alarm.bif"))?;
    let targets = [alarm.index_of("HYPOVOLEMIA")?, alarm.index_of("LVFAILURE")?];
    let ev = alarm.evidence(&[("BP", "LOW")])?;
    let mut highlight = targets.to_vec();
    highlight.push(alarm.index_of("BP")?);
    let svg = to_svg(&alarm, &highlight);
    write_atomic(&path_of("alarm.svg"), |w| w.write_all(svg.as_bytes()))
        .context("writing alarm.svg")?;
    let q = VariableElimination::new(&alarm).query(&targets, &ev)?;
    let (best, log_p) = mpe(&alarm, &ev)?;
    let _ = writeln!(md, "## Bayesian network: the ALARM monitoring network\n");
    let _ = writeln!(
        md,
        "37 variables and 46 arcs (Beinlich et al. 1989; `data/bayesnets/alarm.bif`), drawn \
         without Graphviz (the query's variables filled):\n\n![alarm](alarm.svg)\n\n\
         Blood pressure is low: how likely are hypovolaemia and left-ventricular failure, \
         jointly? (`genmodels query alarm.bif --target HYPOVOLEMIA,LVFAILURE --evidence BP=LOW --joint`)\n"
    );
    let rows: Vec<Vec<String>> = (0..q.values().len())
        .map(|i| {
            let st = q.assignment(i);
            vec![
                alarm.variable(targets[0]).states[st[0]].clone(),
                alarm.variable(targets[1]).states[st[1]].clone(),
                format!("{:.4}", q.values()[i]),
            ]
        })
        .collect();
    md_table(
        md,
        &["HYPOVOLEMIA", "LVFAILURE", "probability given BP = LOW"],
        &rows,
    );
    let named: Vec<String> = targets
        .iter()
        .chain([alarm.index_of("CVP")?, alarm.index_of("CO")?].iter())
        .map(|&v| {
            format!(
                "{} = {}",
                alarm.variable(v).name,
                alarm.variable(v).states[best[v]]
            )
        })
        .collect();
    let _ = writeln!(
        md,
        "The most probable explanation of all 36 other variables given BP = LOW has probability \
         {:.3e} jointly with the evidence; in it {}.\n",
        log_p.exp(),
        named.join(", ")
    );

    // Learning alarm back from data sampled from it.
    let rows_n = if quick { 2_000 } else { 10_000 };
    let data = alarm.sample(rows_n, &mut rng_from_seed(0))?;
    let t1 = Instant::now();
    let found = HillClimb::new(ScoreKind::Bic).fit(&data)?;
    let learned = fit_parameters(&data_variables(&data), &found.dag, &data, Estimator::Mle)?;
    let learn_secs = t1.elapsed().as_secs_f64();
    write_network(&learned, &path_of("alarm_learned.bif"))?;
    let truth = Dag::from_network(&alarm);
    let cmp = found.dag.compare(&truth)?;
    let _ = writeln!(
        md,
        "Learning it back: {rows_n} rows sampled from the network, then hill climbing on BIC \
         (tabu list, no restarts) and maximum-likelihood tables, in {learn_secs:.2} s. The learned \
         graph has {} arcs against the true 46: {} missing, {} extra, {} reversed — a structural \
         Hamming distance of **{}** (`alarm_learned.bif`). Reversals are often unavoidable: data \
         cannot tell apart graphs of the same equivalence class.\n",
        found.dag.n_edges(),
        cmp.missing,
        cmp.extra,
        cmp.reversed,
        cmp.shd()
    );
    let _ = writeln!(
        md,
        "(Bayesian networks: {:.2} s.)\n",
        t0.elapsed().as_secs_f64()
    );
    Ok(BnSummary {
        p_rain_given_wet,
        rows: rows_n,
        shd: cmp.shd(),
        learned_edges: found.dag.n_edges(),
    })
}
