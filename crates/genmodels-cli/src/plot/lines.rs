//! Line charts: one or more named series (BIC/AIC against K, the objective per iteration, losses).

use std::path::Path;

use anyhow::{bail, Result};
use plotters::coord::Shift;
use plotters::prelude::*;

use super::axes::{densify, framed_chart, legend_box, legend_corner, padded_range};
use super::{chart_bytes, palette, write_picture, Chart, Format};

pub(super) struct LineChart<'a> {
    title: &'a str,
    x_label: &'a str,
    y_label: &'a str,
    series: &'a [(&'a str, Vec<(f64, f64)>)],
    x_range: (f64, f64),
    y_range: (f64, f64),
}

impl Chart for LineChart<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let mut chart = framed_chart(
            root,
            self.title,
            self.x_label,
            self.y_label,
            self.x_range,
            self.y_range,
            90,
        )?;

        let mut any_label = false;
        for (i, (name, data)) in self.series.iter().enumerate() {
            let color = palette(i);
            let finite: Vec<(f64, f64)> = data
                .iter()
                .copied()
                .filter(|(x, y)| x.is_finite() && y.is_finite())
                .collect();
            let anno = chart.draw_series(LineSeries::new(
                finite.iter().copied(),
                color.stroke_width(2),
            ))?;
            if !name.is_empty() {
                any_label = true;
                anno.label(*name).legend(move |(x, y)| {
                    EmptyElement::at((x, y))
                        + PathElement::new(vec![(0, 0), (22, 0)], color.stroke_width(2))
                        + Circle::new((11, 0), 4, color.filled())
                });
            }
            chart.draw_series(finite.iter().map(|&p| Circle::new(p, 4, color.filled())))?;
        }

        if any_label {
            let (box_w, box_h) = legend_box(
                self.series
                    .iter()
                    .map(|(name, _)| *name)
                    .filter(|name| !name.is_empty()),
            );
            let position = legend_corner(
                self.series
                    .iter()
                    .flat_map(|(_, data)| densify(data, 20).chain(data.iter().copied())),
                self.x_range,
                self.y_range,
                box_w,
                box_h,
            );
            chart
                .configure_series_labels()
                .position(position)
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK.mix(0.5))
                .label_font(("sans-serif", 15))
                .draw()?;
        }
        Ok(())
    }
}

/// Line chart of one or more `(name, points)` series, written to `path`
/// (`.png` or `.svg`): e.g. BIC and AIC against K, or the objective per EM
/// iteration. Each series gets a line with a marker at every point and, when
/// its name is non-empty, a legend entry. Points are drawn in the given order;
/// non-finite points are skipped. The axes cover all points plus a 5% margin.
///
/// Errors when there is no finite point at all, on an output extension other
/// than `.png`/`.svg`, or on an I/O failure; on error no file is left at
/// `path`.
pub fn line_chart(
    path: &Path,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[(&str, Vec<(f64, f64)>)],
) -> Result<()> {
    write_picture(
        path,
        &line_chart_bytes(path, title, x_label, y_label, series)?,
    )
}

/// The file [`line_chart`] writes, as bytes (PNG or SVG by the extension of `path`, which
/// is not written), for a command that writes it together with other files.
pub fn line_chart_bytes(
    path: &Path,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[(&str, Vec<(f64, f64)>)],
) -> Result<Vec<u8>> {
    let format = Format::from_path(path)?;
    let finite = || {
        series
            .iter()
            .flat_map(|(_, s)| s.iter().copied())
            .filter(|(x, y)| x.is_finite() && y.is_finite())
    };
    let x_range = padded_range(finite().map(|p| p.0), 0.05);
    let y_range = padded_range(finite().map(|p| p.1), 0.05);
    let (Some(x_range), Some(y_range)) = (x_range, y_range) else {
        bail!("line_chart: no finite points to plot");
    };
    let chart = LineChart {
        title,
        x_label,
        y_label,
        series,
        x_range,
        y_range,
    };
    chart_bytes(format, &chart)
}
