//! A thin drawing layer over a plotters drawing area: logical coordinates (the chart's
//! nominal pixel size), supersampling for PNG, the bundled font, and the two outputs
//! (SVG text; PNG bytes, box-filtered down from the supersampled bitmap and encoded
//! with fixed settings).

use crate::error::ChartError;
use crate::font::{ensure_fonts, FAMILY};
use crate::geom::Rect;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

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
        let text = &visible(text);
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
    encode_png(&downsample(&big, w as usize, h as usize), w, h)
}

/// Average each `SS`x`SS` block of the RGB bitmap `big` (rounded to nearest) into one
/// pixel of a `w`x`h` RGB image.
fn downsample(big: &[u8], w: usize, h: usize) -> Vec<u8> {
    let ss = SS as usize;
    let mut small = vec![0u8; w * h * 3];
    for y in 0..h {
        for x in 0..w {
            for ch in 0..3 {
                let mut sum = 0u32;
                for dy in 0..ss {
                    let row = (y * ss + dy) * w * ss;
                    for dx in 0..ss {
                        sum += big[(row + x * ss + dx) * 3 + ch] as u32;
                    }
                }
                let n = (ss * ss) as u32;
                small[(y * w + x) * 3 + ch] = ((sum + n / 2) / n) as u8;
            }
        }
    }
    small
}

/// Encode 8-bit RGB pixels as PNG with fixed settings (the same bytes everywhere).
fn encode_png(rgb: &[u8], w: u32, h: u32) -> Result<Vec<u8>, ChartError> {
    let png_err = |e: png::EncodingError| ChartError::Png(e.to_string());
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::Default);
        enc.set_filter(png::FilterType::Sub);
        enc.set_adaptive_filter(png::AdaptiveFilterType::Adaptive);
        let mut wr = enc.write_header().map_err(png_err)?;
        wr.write_image_data(rgb).map_err(png_err)?;
        wr.finish().map_err(png_err)?;
    }
    Ok(out)
}

/// `s` with every control character and bidirectional override written as `\u{..}`,
/// so that no input name can hide or reorder chart text. The same rule as
/// `archsim::report::escape::visible` (this crate cannot depend on archsim).
fn visible(s: &str) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}') {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    out
}
