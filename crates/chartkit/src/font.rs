//! The bundled font: DejaVu Sans, registered with plotters under [`FAMILY`] so that
//! PNG text is rasterised from it (never from a system font) and text is measured with
//! its metrics on every machine.

use crate::error::ChartError;
use plotters::style::FontStyle;
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
