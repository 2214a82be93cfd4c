//! Fitting a Gaussian mixture: initialisation, restarts and EM passes over data in memory or
//! streamed in chunks.

use crate::core::{Checked, ParamGuard};

use ndarray::{Array1, Array2, Array3, ArrayView1, ArrayView2, Axis};
use rand::seq::index::sample as sample_indices;
use rand::Rng;

use super::components::*;
use super::covariance::*;
use super::params::*;
use crate::core::data::{check_gaussian_data, check_sample_weights};
use crate::core::{DataError, Fit, Monitor, Result, Silent};
use crate::mixture::em::{best_of_runs, em_builder_methods, InMemory, Passes, Streamed};
use crate::mixture::kmeans::kmeans;
use crate::mixture::model::Mixture;

impl GaussianMixtureParams {
    /// Covariance type (default full).
    pub fn covariance(mut self, t: CovarianceType) -> Self {
        self.covariance = t;
        self
    }
    em_builder_methods!();

    /// Number of components.
    pub fn n_components(mut self, k: usize) -> Self {
        self.em.n_components = k;
        self
    }
    /// Initialisation method (default k-means).
    pub fn init(mut self, init: InitMethod) -> Self {
        self.init = init;
        self
    }
    /// Start from these parameters.
    pub fn init_params(mut self, p: InitParams) -> Self {
        self.init = InitMethod::Given(p);
        self
    }
    /// Start from an earlier fit of the same shape (scikit-learn's `warm_start`).
    pub fn warm_start(mut self, model: &GaussianMixture) -> Self {
        self.init = InitMethod::Warm(Box::new(model.clone()));
        self
    }
    /// Added to covariance diagonals (default 1e-6).
    pub fn reg_covar(mut self, r: f64) -> Self {
        self.reg_covar = r;
        self
    }

    /// The covariance type that will be fitted.
    pub fn covariance_type(&self) -> CovarianceType {
        self.covariance
    }

    /// The number of components that will be fitted.
    pub fn components(&self) -> usize {
        self.em.n_components
    }

    pub(super) fn check_data(&self, x: ArrayView2<'_, f64>) -> Result<()> {
        check_gaussian_data(
            x,
            "fit needs complete rows; drop or impute rows with missing values first",
        )?;
        self.em.check_rows(x.nrows())?;
        let d_init = match &self.init {
            InitMethod::Given(p) => Some(p.means.ncols()),
            InitMethod::Warm(m) => Some(m.n_features()),
            _ => None,
        };
        if let Some(d) = d_init {
            if d != x.ncols() {
                return Err(DataError::Columns {
                    expected: d,
                    found: x.ncols(),
                    hint: "; the initial parameters were made for another number of features"
                        .into(),
                }
                .into());
            }
        }
        Ok(())
    }

    /// The initial model of restart `run`, from the data `x` (the whole data, or the first
    /// chunk of a stream).
    pub(super) fn initial(
        &self,
        x: ArrayView2<'_, f64>,
        w: Option<ArrayView1<'_, f64>>,
        run: usize,
    ) -> Result<GaussianMixture> {
        let (n, d) = x.dim();
        let k = self.em.n_components;
        let mut rng = self.em.rng(run);
        let reg = self.reg_covar;
        match &self.init {
            InitMethod::KMeans => {
                let km = kmeans(x, k, 300, 1e-4, &mut rng)?;
                let mut resp = Array2::zeros((n, k));
                for (i, &l) in km.labels.iter().enumerate() {
                    resp[[i, l]] = 1.0;
                }
                let (weights, comp) = GaussianComponents::from_responsibilities(
                    x,
                    resp.view(),
                    w,
                    self.covariance,
                    reg,
                )?;
                Ok(Mixture {
                    weights,
                    components: comp,
                    report: None,
                    feature_names: None,
                })
            }
            InitMethod::Random => {
                let mut resp = Array2::from_shape_fn((n, k), |_| rng.random::<f64>());
                for mut r in resp.outer_iter_mut() {
                    let s = r.sum();
                    r /= s;
                }
                let (weights, comp) = GaussianComponents::from_responsibilities(
                    x,
                    resp.view(),
                    w,
                    self.covariance,
                    reg,
                )?;
                Ok(Mixture {
                    weights,
                    components: comp,
                    report: None,
                    feature_names: None,
                })
            }
            InitMethod::RandomFromData => {
                let idx = sample_indices(&mut rng, n, k);
                let mut means = Array2::zeros((k, d));
                for (r, i) in idx.iter().enumerate() {
                    means.row_mut(r).assign(&x.row(i));
                }
                let cov = global_covariance(x, self.covariance, k, reg);
                let comp = GaussianComponents::from_covariances(means, cov, reg)?;
                Ok(Mixture {
                    weights: Array1::from_elem(k, 1.0 / k as f64),
                    components: comp,
                    report: None,
                    feature_names: None,
                })
            }
            InitMethod::Given(p) => {
                let weights = p
                    .weights
                    .clone()
                    .unwrap_or_else(|| Array1::from_elem(k, 1.0 / k as f64));
                let comp = match &p.precisions {
                    Some(pr) => {
                        GaussianComponents::from_precisions(p.means.clone(), pr.clone(), reg)?
                    }
                    None => GaussianComponents::from_covariances(
                        p.means.clone(),
                        global_covariance(x, self.covariance, k, reg),
                        reg,
                    )?,
                };
                Ok(Mixture {
                    weights,
                    components: comp,
                    report: None,
                    feature_names: None,
                })
            }
            InitMethod::Warm(m) => {
                let mut m = (**m).clone();
                m.components.reg_covar = reg;
                m.report = None;
                Ok(m)
            }
        }
    }

    /// Fits with optional per-row sample weights, reporting each iteration to `monitor`.
    pub fn fit_weighted(
        &self,
        x: ArrayView2<'_, f64>,
        sample_weight: Option<ArrayView1<'_, f64>>,
        monitor: &mut dyn Monitor,
    ) -> Result<GaussianMixture> {
        let p = self.checked()?;
        self.check_data(x)?;
        if let Some(w) = sample_weight {
            check_sample_weights(w, x.nrows())?;
        }
        let mut data = InMemory {
            x,
            w: sample_weight,
        };
        Self::fit_passes(p, x, sample_weight, &mut data, monitor)
    }

    /// EM from checked hyper-parameters: the one place a fit reads them.
    pub(super) fn fit_passes<P: Passes>(
        p: Checked<&Self>,
        init_x: ArrayView2<'_, f64>,
        init_w: Option<ArrayView1<'_, f64>>,
        data: &mut P,
        monitor: &mut dyn Monitor,
    ) -> Result<GaussianMixture> {
        let deterministic = matches!(p.init, InitMethod::Given(_) | InitMethod::Warm(_));
        let n_init = if deterministic { 1 } else { p.em.n_init };
        let mut model = best_of_runs(
            n_init,
            |run| p.initial(init_x, init_w, run),
            data,
            p.em.max_iter,
            p.em.tol,
            monitor,
        )?;
        let collapsed = model.components.collapsed_components();
        if let Some(r) = model.report.as_mut() {
            for c in collapsed {
                r.warnings.push(format!(
                    "component {c} collapsed onto repeated values (a variance below 2 × reg_covar): its likelihood is a spike, not a fit; try fewer components, another covariance type, or a larger reg_covar"
                ));
            }
        }
        if deterministic && p.em.n_init > 1 {
            if let Some(r) = model.report.as_mut() {
                r.warnings.push(
                    "n_init > 1 ignored: the start is given, so every restart would be identical"
                        .into(),
                );
            }
        }
        Ok(model)
    }

    /// Fits on data streamed in chunks: `make_chunks` is called once per EM iteration and must
    /// yield the same chunks each time. The initialisation uses the first chunk.
    pub fn fit_chunks<F, I>(
        &self,
        mut make_chunks: F,
        monitor: &mut dyn Monitor,
    ) -> Result<GaussianMixture>
    where
        F: FnMut() -> I,
        I: Iterator<Item = Result<Array2<f64>>>,
    {
        let p = self.checked()?;
        let first = make_chunks().next().ok_or_else(|| DataError::Empty {
            what: "the chunk stream".into(),
        })??;
        self.check_data(first.view())?;
        let mut data = Streamed { make: make_chunks };
        Self::fit_passes(p, first.view(), None, &mut data, monitor)
    }
}

/// The whole data's covariance (+ reg) in the layout of a covariance type.
pub(super) fn global_covariance(
    x: ArrayView2<'_, f64>,
    t: CovarianceType,
    k: usize,
    reg: f64,
) -> CovarianceParams {
    let (n, d) = x.dim();
    let mean = x.mean_axis(Axis(0)).expect("n >= 1");
    let diff = &x - &mean;
    let mut cov = diff.t().dot(&diff) / (n.max(2) - 1) as f64;
    for i in 0..d {
        cov[[i, i]] += reg.max(1e-12);
    }
    match t {
        CovarianceType::Full => {
            let mut a = Array3::zeros((k, d, d));
            for mut ak in a.outer_iter_mut() {
                ak.assign(&cov);
            }
            CovarianceParams::Full(a)
        }
        CovarianceType::Tied => CovarianceParams::Tied(cov),
        CovarianceType::Diag => {
            let diag = cov.diag().to_owned();
            CovarianceParams::Diag(Array2::from_shape_fn((k, d), |(_, j)| diag[j]))
        }
        CovarianceType::Spherical => {
            CovarianceParams::Spherical(Array1::from_elem(k, cov.diag().mean().unwrap_or(1.0)))
        }
    }
}

impl Fit<Array2<f64>> for GaussianMixtureParams {
    type Model = GaussianMixture;
    fn fit_with(&self, x: &Array2<f64>, monitor: &mut dyn Monitor) -> Result<GaussianMixture> {
        self.fit_weighted(x.view(), None, monitor)
    }
}

impl<'a> Fit<ArrayView2<'a, f64>> for GaussianMixtureParams {
    type Model = GaussianMixture;
    fn fit_with(
        &self,
        x: &ArrayView2<'a, f64>,
        monitor: &mut dyn Monitor,
    ) -> Result<GaussianMixture> {
        self.fit_weighted(*x, None, monitor)
    }
}

impl GaussianMixtureParams {
    /// Fits silently (a shorthand for [`Fit::fit`] on a view).
    pub fn fit_view(&self, x: ArrayView2<'_, f64>) -> Result<GaussianMixture> {
        self.fit_weighted(x, None, &mut Silent)
    }
}
