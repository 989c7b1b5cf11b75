//! One SVG per figure, as the paper's Figures 11-15: a group of bars per
//! placement (one bar per metric of the figure, e.g. STREAM's Copy, Scale,
//! Add and Triad), the bar at the mean, error bars over the 95% confidence
//! interval, the unit on the y axis.
//!
//! plotters draws with its SVG backend only: text becomes SVG `<text>`
//! elements that the viewer renders, so no font library is linked. A
//! placement without a value gets no bar but an `n=0` mark; one with a
//! single sample gets a bar without error bar.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::group::{Comparison, FigureResult};

const SIZE: (u32, u32) = (900, 520);

/// Bar colours, one per metric of a figure (colour-blind-safe, Okabe-Ito).
const COLOURS: [RGBColor; 6] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(213, 94, 0),
];

/// The SVG text of figure `f`.
pub fn svg(c: &Comparison, f: &FigureResult) -> Result<String, String> {
    let mut out = String::new();
    draw(c, f, &mut out).map_err(|e| format!("plotting {}: {e}", f.def.id))?;
    Ok(out)
}

fn draw(
    c: &Comparison,
    f: &FigureResult,
    out: &mut String,
) -> Result<(), Box<dyn std::error::Error>> {
    let groups = c.placements.len();
    let bars = f.metrics.len();
    let top = f
        .metrics
        .iter()
        .flat_map(|m| &m.cells)
        .filter_map(|cell| cell.summary.as_ref())
        .map(|s| s.ci95.map_or(s.mean, |(_, hi)| hi).max(s.max))
        .fold(0.0, f64::max);
    let top = if top > 0.0 { top * 1.15 } else { 1.0 };

    let root = SVGBackend::with_string(out, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let caption = format!("{} ({})", f.def.title, f.def.direction());
    let mut chart = ChartBuilder::on(&root)
        .caption(caption, ("sans-serif", 20))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .build_cartesian_2d(0f64..groups as f64, 0f64..top)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .x_desc("placement")
        .y_desc(f.def.unit)
        .axis_desc_style(("sans-serif", 16))
        .label_style(("sans-serif", 13))
        .draw()?;

    // Bars of one group fill 80% of its slot.
    let width = 0.8 / bars as f64;
    let left = |g: usize, b: usize| g as f64 + 0.1 + b as f64 * width;
    for (b, m) in f.metrics.iter().enumerate() {
        let colour = COLOURS[b % COLOURS.len()];
        let present: Vec<(usize, &super::stats::Summary)> = m
            .cells
            .iter()
            .enumerate()
            .filter_map(|(g, cell)| cell.summary.as_ref().map(|s| (g, s)))
            .collect();
        let series = chart.draw_series(present.iter().map(|(g, s)| {
            Rectangle::new(
                [(left(*g, b), 0.0), (left(*g, b) + width * 0.9, s.mean)],
                colour.filled(),
            )
        }))?;
        if bars > 1 {
            series.label(m.def.label).legend(move |(x, y)| {
                Rectangle::new([(x, y - 6), (x + 12, y + 6)], colour.filled())
            });
        }
        chart.draw_series(present.iter().filter_map(|(g, s)| {
            let (lo, hi) = s.ci95?;
            Some(ErrorBar::new_vertical(
                left(*g, b) + width * 0.45,
                lo.max(0.0),
                s.mean,
                hi,
                BLACK.stroke_width(1),
                8,
            ))
        }))?;
        for (g, cell) in m.cells.iter().enumerate() {
            if cell.summary.is_none() {
                let at = chart.backend_coord(&(left(g, b) + width * 0.45, 0.0));
                root.draw(&Text::new(
                    "n=0",
                    (at.0, at.1 - 4),
                    ("sans-serif", 11)
                        .into_font()
                        .color(&colour)
                        .pos(Pos::new(HPos::Center, VPos::Bottom)),
                ))?;
            }
        }
    }
    if bars > 1 {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font(("sans-serif", 13))
            .draw()?;
    }
    // Placement names under the middle of their groups.
    for (g, p) in c.placements.iter().enumerate() {
        let at = chart.backend_coord(&(g as f64 + 0.5, 0.0));
        root.draw(&Text::new(
            p.label.clone(),
            (at.0, at.1 + 6),
            TextStyle::from(("sans-serif", 14).into_font()).pos(Pos::new(HPos::Center, VPos::Top)),
        ))?;
    }
    root.present()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::fixture;

    #[test]
    fn plots_name_placements_units_and_gaps() {
        let c = fixture::comparison();
        let by_id = |id| c.figures.iter().find(|f| f.def.id == id).unwrap();
        let ptrans = svg(&c, by_id("ptrans")).unwrap();
        assert!(ptrans.starts_with("<svg"));
        for text in [
            ">PTRANS: aggregate network bandwidth (higher is better)<",
            ">native<",
            ">vm<",
            ">GB/s<",
            ">placement<",
        ] {
            let squeezed = ptrans.replace('\n', "");
            assert!(squeezed.contains(text), "{text} not in the PTRANS plot");
        }
        // Two bars, each with an error bar; no legend for a single metric.
        assert_eq!(ptrans.matches("fill=\"#0072B2\"").count(), 2);
        assert!(!ptrans.contains(">PTRANS<"));
        let latency = svg(&c, by_id("latency")).unwrap().replace('\n', "");
        assert!(latency.contains(">usec<") && latency.contains("(lower is better)<"));
        // HPL ran natively only: one bar and an n=0 mark for vm.
        let hpl = svg(&c, by_id("hpl")).unwrap().replace('\n', "");
        assert!(hpl.contains(">Gflop/s<") && hpl.contains(">n=0<"));
    }
}
