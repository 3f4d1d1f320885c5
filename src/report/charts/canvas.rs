//! A thin drawing layer over a plotters drawing area: logical coordinates (the chart's
//! nominal pixel size), supersampling for PNG, the bundled font, clipping.
//!
//! Layout is computed once, in logical pixels, from the bundled font's metrics, so the
//! SVG and the PNG of a chart have the same layout on every machine.

use super::ChartError;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::sync::OnceLock;

/// The font family written into SVG `font-family` attributes, and the name under which
/// the bundled DejaVu Sans is registered for PNG rendering.
pub(crate) const FAMILY: &str = "DejaVu Sans, Verdana, Arial, Helvetica, sans-serif";

static REGULAR: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans-Bold.ttf");

/// Register the bundled font with plotters (once per process).
pub(crate) fn ensure_fonts() -> Result<(), ChartError> {
    static DONE: OnceLock<bool> = OnceLock::new();
    let ok = *DONE.get_or_init(|| {
        plotters::style::register_font(FAMILY, FontStyle::Normal, REGULAR).is_ok()
            && plotters::style::register_font(FAMILY, FontStyle::Bold, BOLD).is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(ChartError::Font)
    }
}

/// An axis-aligned rectangle in logical pixels.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Rect {
    pub x0: f64,
    pub y0: f64,
    pub x1: f64,
    pub y1: f64,
}

impl Rect {
    pub fn w(&self) -> f64 {
        self.x1 - self.x0
    }
    pub fn h(&self) -> f64 {
        self.y1 - self.y0
    }
}

/// Horizontal text alignment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Align {
    Left,
    Center,
    Right,
}

/// Text options: size is a plotters font size (the SVG font size is size / 1.24).
#[derive(Clone, Copy, Debug)]
pub(crate) struct TextOpts {
    pub size: f64,
    pub color: RGBColor,
    pub bold: bool,
    pub align: Align,
    /// Rotated 90 degrees counter-clockwise (reads bottom to top).
    pub vertical: bool,
}

impl TextOpts {
    pub fn new(size: f64, color: RGBColor) -> Self {
        TextOpts {
            size,
            color,
            bold: false,
            align: Align::Left,
            vertical: false,
        }
    }
    pub fn bold(mut self) -> Self {
        self.bold = true;
        self
    }
    pub fn align(mut self, a: Align) -> Self {
        self.align = a;
        self
    }
    pub fn vertical(mut self) -> Self {
        self.vertical = true;
        self
    }
}

/// Width of `text` in logical pixels, from the bundled font's advance widths.
pub(crate) fn text_width(text: &str, size: f64, bold: bool) -> f64 {
    if text.is_empty() {
        return 0.0;
    }
    let style = if bold {
        FontStyle::Bold
    } else {
        FontStyle::Normal
    };
    FontDesc::new(FontFamily::Name(FAMILY), size, style)
        .box_size(text)
        .map(|(w, _)| w as f64)
        .unwrap_or(text.chars().count() as f64 * size * 0.55)
}

/// `text` shortened with an ellipsis so that it fits in `max_w` logical pixels.
pub(crate) fn fit_text(text: &str, size: f64, bold: bool, max_w: f64) -> String {
    if text_width(text, size, bold) <= max_w {
        return text.to_string();
    }
    let chars: Vec<char> = text.chars().collect();
    let mut n = chars.len();
    while n > 0 {
        n -= 1;
        let s: String = chars[..n].iter().collect::<String>().trim_end().to_string() + "…";
        if text_width(&s, size, bold) <= max_w {
            return s;
        }
    }
    String::new()
}

/// Break `text` into at most `max_lines` lines of at most `max_w` pixels, at spaces
/// (and after '-', '/', '_'); the last line is shortened with an ellipsis if needed.
pub(crate) fn wrap_text(text: &str, size: f64, max_w: f64, max_lines: usize) -> Vec<String> {
    if text.contains('\n') {
        // Hard line breaks: wrap each line on its own.
        let mut lines: Vec<String> = Vec::new();
        for part in text.split('\n') {
            let room = max_lines.saturating_sub(lines.len()).max(1);
            if lines.len() >= max_lines {
                break;
            }
            lines.extend(wrap_text(part, size, max_w, room));
        }
        return lines;
    }
    // Split into words, keeping break characters attached to the preceding word.
    let mut words: Vec<String> = Vec::new();
    let mut cur = String::new();
    for ch in text.chars() {
        if ch == ' ' {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
        } else {
            cur.push(ch);
            if matches!(ch, '-' | '/' | '_') {
                words.push(std::mem::take(&mut cur));
            }
        }
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for w in words {
        let joiner = if line.is_empty() || line.ends_with(['-', '/', '_']) {
            ""
        } else {
            " "
        };
        let candidate = format!("{line}{joiner}{w}");
        if line.is_empty() || text_width(&candidate, size, false) <= max_w {
            line = candidate;
        } else {
            lines.push(std::mem::take(&mut line));
            line = w;
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    if lines.len() > max_lines {
        let rest = lines[max_lines - 1..].join(" ");
        lines.truncate(max_lines - 1);
        lines.push(rest);
    }
    lines
        .into_iter()
        .map(|l| fit_text(&l, size, false, max_w))
        .collect()
}

/// A drawing surface in logical pixels.
pub(crate) struct Canvas<DB: DrawingBackend> {
    area: DrawingArea<DB, Shift>,
    /// Backend pixels per logical pixel (2 for the supersampled PNG, 1 for SVG).
    ss: f64,
    /// Whether text is rasterised by plotters (bitmap) rather than by an SVG viewer.
    bitmap: bool,
    /// Logical width.
    pub w: f64,
    /// Logical height.
    pub h: f64,
    /// Typographic scale: 1 at the default 1200x700, proportional to sqrt(area).
    pub k: f64,
}

fn draw_err<E: std::error::Error + Send + Sync>(e: DrawingAreaErrorKind<E>) -> ChartError {
    ChartError::Draw(e.to_string())
}

impl<DB: DrawingBackend> Canvas<DB> {
    pub fn new(area: DrawingArea<DB, Shift>, w: u32, h: u32, ss: f64, bitmap: bool) -> Self {
        let k = ((w as f64 * h as f64) / (1200.0 * 700.0))
            .sqrt()
            .clamp(0.6, 2.0);
        Canvas {
            area,
            ss,
            bitmap,
            w: w as f64,
            h: h as f64,
            k,
        }
    }

    fn p(&self, v: f64) -> i32 {
        (v * self.ss).round() as i32
    }

    fn pt(&self, (x, y): (f64, f64)) -> (i32, i32) {
        (self.p(x), self.p(y))
    }

    fn width(&self, w: f64) -> u32 {
        ((w * self.ss).round() as u32).max(1)
    }

    pub fn clear(&self, c: RGBColor) -> Result<(), ChartError> {
        self.area.fill(&c).map_err(draw_err)
    }

    pub fn present(&self) -> Result<(), ChartError> {
        self.area.present().map_err(draw_err)
    }

    pub fn fill_rect(&self, r: Rect, c: RGBAColor) -> Result<(), ChartError> {
        let (a, b) = (self.pt((r.x0, r.y0)), self.pt((r.x1, r.y1)));
        if a.0 == b.0 || a.1 == b.1 {
            return Ok(());
        }
        self.area
            .draw(&Rectangle::new([a, b], c.filled()))
            .map_err(draw_err)
    }

    pub fn line(&self, pts: &[(f64, f64)], c: RGBAColor, width: f64) -> Result<(), ChartError> {
        if pts.len() < 2 {
            return Ok(());
        }
        let mut v: Vec<(i32, i32)> = Vec::with_capacity(pts.len());
        for &p in pts {
            let q = self.pt(p);
            if v.last() != Some(&q) {
                v.push(q);
            }
        }
        if v.len() < 2 {
            return Ok(());
        }
        let style = ShapeStyle {
            color: c,
            filled: false,
            stroke_width: self.width(width),
        };
        self.area
            .draw(&PathElement::new(v, style))
            .map_err(draw_err)
    }

    /// A dashed polyline (`dash` on, `gap` off, in logical pixels).
    pub fn dashed_line(
        &self,
        pts: &[(f64, f64)],
        c: RGBAColor,
        width: f64,
        dash: f64,
        gap: f64,
    ) -> Result<(), ChartError> {
        if pts.len() < 2 {
            return Ok(());
        }
        let v: Vec<(i32, i32)> = pts.iter().map(|&p| self.pt(p)).collect();
        let style = ShapeStyle {
            color: c,
            filled: false,
            stroke_width: self.width(width),
        };
        self.area
            .draw(&plotters::element::DashedPathElement::new(
                v,
                self.p(dash).max(1),
                self.p(gap).max(1),
                style,
            ))
            .map_err(draw_err)
    }

    pub fn polygon(&self, pts: &[(f64, f64)], c: RGBAColor) -> Result<(), ChartError> {
        if pts.len() < 3 {
            return Ok(());
        }
        let v: Vec<(i32, i32)> = pts.iter().map(|&p| self.pt(p)).collect();
        self.area
            .draw(&Polygon::new(v, c.filled()))
            .map_err(draw_err)
    }

    pub fn circle(&self, (x, y): (f64, f64), r: f64, c: RGBAColor) -> Result<(), ChartError> {
        let r = self.width(r);
        self.area
            .draw(&Circle::new(self.pt((x, y)), r, c.filled()))
            .map_err(draw_err)
    }

    /// Draw text whose x-height is vertically centred on `y` (for vertical text: on `x`).
    pub fn text(&self, text: &str, (x, y): (f64, f64), o: TextOpts) -> Result<(), ChartError> {
        if text.is_empty() {
            return Ok(());
        }
        // Input names may hold control characters: never put them in an SVG or PNG.
        let text = &crate::report::escape::visible(text);
        let size = o.size * self.ss;
        // plotters' bitmap text sits higher than an SVG viewer's for the same anchor:
        // shift it so that PNG and SVG agree.
        let nudge = if self.bitmap { 0.12 * o.size } else { 0.0 };
        let (x, y) = if o.vertical {
            (x + nudge, y)
        } else {
            (x, y + nudge)
        };
        let hpos = match o.align {
            Align::Left => HPos::Left,
            Align::Center => HPos::Center,
            Align::Right => HPos::Right,
        };
        let mut font = FontDesc::new(
            FontFamily::Name(FAMILY),
            size,
            if o.bold {
                FontStyle::Bold
            } else {
                FontStyle::Normal
            },
        );
        if o.vertical {
            font = font.transform(FontTransform::Rotate270);
        }
        let style = TextStyle::from(font)
            .color(&o.color)
            .pos(Pos::new(hpos, VPos::Center));
        self.area
            .draw(&Text::new(text.to_string(), self.pt((x, y)), style))
            .map_err(draw_err)
    }
}

/// Clip a polyline to a rectangle: the visible runs (Liang–Barsky per segment).
pub(crate) fn clip_polyline(pts: &[(f64, f64)], r: Rect) -> Vec<Vec<(f64, f64)>> {
    let mut runs: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut cur: Vec<(f64, f64)> = Vec::new();
    for seg in pts.windows(2) {
        match clip_segment(seg[0], seg[1], r) {
            Some((a, b)) => {
                if cur.last() != Some(&a) {
                    if cur.len() >= 2 {
                        runs.push(std::mem::take(&mut cur));
                    } else {
                        cur.clear();
                    }
                    cur.push(a);
                }
                cur.push(b);
            }
            None => {
                if cur.len() >= 2 {
                    runs.push(std::mem::take(&mut cur));
                } else {
                    cur.clear();
                }
            }
        }
    }
    if cur.len() >= 2 {
        runs.push(cur);
    }
    runs
}

fn clip_segment(a: (f64, f64), b: (f64, f64), r: Rect) -> Option<((f64, f64), (f64, f64))> {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let mut t0 = 0.0f64;
    let mut t1 = 1.0f64;
    for (p, q) in [
        (-dx, a.0 - r.x0),
        (dx, r.x1 - a.0),
        (-dy, a.1 - r.y0),
        (dy, r.y1 - a.1),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let t = q / p;
            if p < 0.0 {
                t0 = t0.max(t);
            } else {
                t1 = t1.min(t);
            }
            if t0 > t1 {
                return None;
            }
        }
    }
    Some((
        (a.0 + t0 * dx, a.1 + t0 * dy),
        (a.0 + t1 * dx, a.1 + t1 * dy),
    ))
}

/// Clip a polygon to a rectangle (Sutherland–Hodgman).
pub(crate) fn clip_polygon(pts: &[(f64, f64)], r: Rect) -> Vec<(f64, f64)> {
    type Inside = fn((f64, f64), Rect) -> bool;
    type Cross = fn((f64, f64), (f64, f64), Rect) -> (f64, f64);
    let edges: [(Inside, Cross); 4] = [
        (
            |p, r| p.0 >= r.x0,
            |a, b, r| {
                let t = (r.x0 - a.0) / (b.0 - a.0);
                (r.x0, a.1 + t * (b.1 - a.1))
            },
        ),
        (
            |p, r| p.0 <= r.x1,
            |a, b, r| {
                let t = (r.x1 - a.0) / (b.0 - a.0);
                (r.x1, a.1 + t * (b.1 - a.1))
            },
        ),
        (
            |p, r| p.1 >= r.y0,
            |a, b, r| {
                let t = (r.y0 - a.1) / (b.1 - a.1);
                (a.0 + t * (b.0 - a.0), r.y0)
            },
        ),
        (
            |p, r| p.1 <= r.y1,
            |a, b, r| {
                let t = (r.y1 - a.1) / (b.1 - a.1);
                (a.0 + t * (b.0 - a.0), r.y1)
            },
        ),
    ];
    let mut out: Vec<(f64, f64)> = pts.to_vec();
    for (inside, cross) in edges {
        if out.is_empty() {
            break;
        }
        let input = std::mem::take(&mut out);
        let mut prev = *input.last().expect("non-empty");
        for &cur in &input {
            let (ci, pi) = (inside(cur, r), inside(prev, r));
            if ci {
                if !pi {
                    out.push(cross(prev, cur, r));
                }
                out.push(cur);
            } else if pi {
                out.push(cross(prev, cur, r));
            }
            prev = cur;
        }
    }
    out
}

/// Render with the SVG backend.
pub(crate) fn render_svg<F>(w: u32, h: u32, draw: F) -> Result<String, ChartError>
where
    F: FnOnce(&Canvas<SVGBackend<'_>>) -> Result<(), ChartError>,
{
    ensure_fonts()?;
    let mut s = String::new();
    {
        let area = SVGBackend::with_string(&mut s, (w, h)).into_drawing_area();
        let c = Canvas::new(area, w, h, 1.0, false);
        draw(&c)?;
        c.present()?;
    }
    Ok(s)
}

/// Supersampling factor of PNG rendering (anti-aliasing of lines and shapes).
const SS: u32 = 2;

/// Render with the bitmap backend at `SS`x, box-filter down and encode as PNG.
pub(crate) fn render_png<F>(w: u32, h: u32, draw: F) -> Result<Vec<u8>, ChartError>
where
    F: FnOnce(&Canvas<BitMapBackend<'_>>) -> Result<(), ChartError>,
{
    ensure_fonts()?;
    let (bw, bh) = (w * SS, h * SS);
    let mut big = vec![255u8; (bw as usize) * (bh as usize) * 3];
    {
        let area = BitMapBackend::with_buffer(&mut big, (bw, bh)).into_drawing_area();
        let c = Canvas::new(area, w, h, SS as f64, true);
        draw(&c)?;
        c.present()?;
    }
    let (wu, hu, ss) = (w as usize, h as usize, SS as usize);
    let mut small = vec![0u8; wu * hu * 3];
    for y in 0..hu {
        for x in 0..wu {
            for ch in 0..3 {
                let mut sum = 0u32;
                for dy in 0..ss {
                    let row = (y * ss + dy) * wu * ss;
                    for dx in 0..ss {
                        sum += big[(row + x * ss + dx) * 3 + ch] as u32;
                    }
                }
                let n = (ss * ss) as u32;
                small[(y * wu + x) * 3 + ch] = ((sum + n / 2) / n) as u8;
            }
        }
    }
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::Default);
        enc.set_filter(png::FilterType::Sub);
        enc.set_adaptive_filter(png::AdaptiveFilterType::Adaptive);
        let mut wr = enc
            .write_header()
            .map_err(|e| ChartError::Png(e.to_string()))?;
        wr.write_image_data(&small)
            .map_err(|e| ChartError::Png(e.to_string()))?;
        wr.finish().map_err(|e| ChartError::Png(e.to_string()))?;
    }
    Ok(out)
}
