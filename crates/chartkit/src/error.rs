//! Why a chart could not be rendered (the lowest layer: every other module may use it).

/// Why a chart could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    /// The requested size is outside [`SIZE_RANGE`](crate::SIZE_RANGE).
    #[error("chart size {width}x{height} is out of range: each side must be 200..=8000 px")]
    InvalidSize {
        /// Requested width.
        width: u32,
        /// Requested height.
        height: u32,
    },
    /// The bundled font could not be loaded (a corrupt build).
    #[error("the bundled chart font could not be loaded")]
    Font,
    /// plotters reported a drawing error.
    #[error("drawing the chart failed: {0}")]
    Draw(String),
    /// The PNG encoder failed.
    #[error("encoding the PNG failed: {0}")]
    Png(String),
}
