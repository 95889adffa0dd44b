//! Lower-third product card, title and the camera-lost slate, rasterised in Rust and
//! blended into YUV 4:2:0 frames.
//!
//! Text is rasterised once per change with `ab_glyph` into premultiplied planes; the
//! compositor swaps the finished image between two frames, so a change never shows a
//! half-drawn card.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};

use crate::CaptureError;

/// What the overlay shows.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum Overlay {
    /// The product now on air: name, live price and one selling point.
    #[serde(rename_all = "camelCase")]
    ProductCard {
        name: String,
        /// Live price in fen (分).
        price_fen: u32,
        selling_point: String,
    },
    /// One line of text in the lower third.
    Title { text: String },
}

/// Formats fen as `¥19.90`, or `¥20` for whole yuan.
pub fn format_price(price_fen: u32) -> String {
    let (yuan, fen) = (price_fen / 100, price_fen % 100);
    if fen == 0 {
        format!("{yuan}")
    } else {
        format!("{yuan}.{fen:02}")
    }
}

#[derive(Debug, Clone, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Template {
    card: CardStyle,
    name: TextStyle,
    price: TextStyle,
    selling_point: TextStyle,
    title: TextStyle,
    slate: SlateStyle,
}

#[derive(Debug, Clone, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct CardStyle {
    left: f32,
    bottom: f32,
    max_width: f32,
    padding: f32,
    radius: f32,
    line_gap: f32,
    background: [u8; 4],
    accent: [u8; 4],
    accent_width: f32,
}

#[derive(Debug, Clone, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct TextStyle {
    size: f32,
    color: [u8; 4],
    bold: bool,
    #[serde(default)]
    prefix: String,
}

#[derive(Debug, Clone, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct SlateStyle {
    background: [u8; 3],
    size: f32,
    color: [u8; 4],
    text: String,
    sub_text: String,
    sub_size: f32,
}

const DEFAULT_TEMPLATE: &str = include_str!("../../../assets/overlay/lower-third.json");

fn template() -> Template {
    serde_json::from_str(DEFAULT_TEMPLATE)
        .expect("assets/overlay/lower-third.json is valid (checked by a unit test)")
}

/// A font over a memory-mapped file: a CJK collection is 20 MB, and only the glyphs
/// drawn need to be in memory.
type CjkFont = FontRef<'static>;

/// The fonts overlays are drawn with.
#[derive(Clone)]
pub(crate) struct Fonts {
    regular: Arc<CjkFont>,
    bold: Arc<CjkFont>,
}

const REGULAR_CANDIDATES: &[&str] = &[
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "C:\\Windows\\Fonts\\msyh.ttc",
];

static FONT_CACHE: Mutex<Vec<(PathBuf, Arc<CjkFont>)>> = Mutex::new(Vec::new());

fn load_font(path: &Path) -> Result<Arc<CjkFont>, CaptureError> {
    let mut cache = FONT_CACHE.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((_, font)) = cache.iter().find(|(p, _)| p == path) {
        return Ok(font.clone());
    }
    let file = std::fs::File::open(path)
        .map_err(CaptureError::io(format!("opening font {}", path.display())))?;
    // Safety: font files are not modified while the app runs; a mapping that changes
    // under us would at worst draw wrong glyphs. The mapping lives for the process,
    // once per path (the cache above).
    let map = unsafe { memmap2::Mmap::map(&file) }
        .map_err(CaptureError::io(format!("mapping font {}", path.display())))?;
    let data: &'static [u8] = Box::leak(Box::new(map));
    // Noto Sans CJK collections hold JP, KR, SC, TC, HK in that order; SC has the
    // simplified glyph shapes our anchors expect.
    let font = if data.starts_with(b"ttcf") {
        CjkFont::try_from_slice_and_index(data, 2)
            .or_else(|_| CjkFont::try_from_slice_and_index(data, 0))
    } else {
        CjkFont::try_from_slice(data)
    }
    .map_err(|_| CaptureError::BadConfig(format!("font {} cannot be parsed", path.display())))?;
    let font = Arc::new(font);
    cache.push((path.to_owned(), font.clone()));
    Ok(font)
}

impl Fonts {
    /// Loads `path`, or the first system CJK font found.
    pub(crate) fn load(path: Option<&Path>) -> Result<Fonts, CaptureError> {
        let regular_path = match path {
            Some(p) => p.to_owned(),
            None => REGULAR_CANDIDATES
                .iter()
                .map(PathBuf::from)
                .find(|p| p.exists())
                .ok_or_else(|| {
                    CaptureError::BadConfig(
                        "no CJK font found; install fonts-noto-cjk or set a font".to_owned(),
                    )
                })?,
        };
        let regular = load_font(&regular_path)?;
        let bold_path = PathBuf::from(regular_path.to_string_lossy().replace("-Regular", "-Bold"));
        let bold = if bold_path != regular_path && bold_path.exists() {
            load_font(&bold_path)?
        } else {
            regular.clone()
        };
        Ok(Fonts { regular, bold })
    }
}

/// An RGBA canvas with premultiplied alpha.
struct Canvas {
    w: usize,
    h: usize,
    px: Vec<[f32; 4]>,
}

impl Canvas {
    fn new(w: usize, h: usize) -> Canvas {
        Canvas {
            w,
            h,
            px: vec![[0.0; 4]; w * h],
        }
    }

    /// Paints `color` with `coverage` (0–1) over the pixel at `x, y`.
    fn paint(&mut self, x: i32, y: i32, color: [u8; 4], coverage: f32) {
        if x < 0 || y < 0 || x as usize >= self.w || y as usize >= self.h {
            return;
        }
        let a = coverage.clamp(0.0, 1.0) * color[3] as f32 / 255.0;
        let p = &mut self.px[y as usize * self.w + x as usize];
        for c in 0..3 {
            p[c] = color[c] as f32 / 255.0 * a + p[c] * (1.0 - a);
        }
        p[3] = a + p[3] * (1.0 - a);
    }

    fn rounded_rect(&mut self, x0: f32, y0: f32, w: f32, h: f32, r: f32, color: [u8; 4]) {
        for y in y0.floor() as i32..(y0 + h).ceil() as i32 {
            for x in x0.floor() as i32..(x0 + w).ceil() as i32 {
                let (cx, cy) = (x as f32 + 0.5, y as f32 + 0.5);
                let dx = (x0 + r - cx).max(cx - (x0 + w - r)).max(0.0);
                let dy = (y0 + r - cy).max(cy - (y0 + h - r)).max(0.0);
                let coverage = if dx > 0.0 && dy > 0.0 {
                    (r - (dx * dx + dy * dy).sqrt() + 0.5).clamp(0.0, 1.0)
                } else {
                    1.0
                };
                let inside_x = (cx - x0).min(x0 + w - cx).clamp(0.0, 1.0);
                let inside_y = (cy - y0).min(y0 + h - cy).clamp(0.0, 1.0);
                self.paint(
                    x,
                    y,
                    color,
                    coverage * inside_x.max(0.0) * inside_y.max(0.0),
                );
            }
        }
    }

    /// Draws `text` with its baseline at `baseline`; returns the advance width.
    fn text(
        &mut self,
        font: &CjkFont,
        px: f32,
        x0: f32,
        baseline: f32,
        text: &str,
        color: [u8; 4],
    ) -> f32 {
        let scaled = font.as_scaled(PxScale::from(px));
        let mut x = x0;
        let mut prev = None;
        for ch in text.chars() {
            let id = font.glyph_id(ch);
            if let Some(p) = prev {
                x += scaled.kern(p, id);
            }
            let glyph = id.with_scale_and_position(px, point(x, baseline));
            if let Some(outlined) = font.outline_glyph(glyph) {
                let bounds = outlined.px_bounds();
                outlined.draw(|gx, gy, c| {
                    self.paint(
                        bounds.min.x as i32 + gx as i32,
                        bounds.min.y as i32 + gy as i32,
                        color,
                        c,
                    );
                });
            }
            x += scaled.h_advance(id);
            prev = Some(id);
        }
        x - x0
    }
}

fn text_width(font: &CjkFont, px: f32, text: &str) -> f32 {
    let scaled = font.as_scaled(PxScale::from(px));
    let mut width = 0.0;
    let mut prev = None;
    for ch in text.chars() {
        let id = font.glyph_id(ch);
        if let Some(p) = prev {
            width += scaled.kern(p, id);
        }
        width += scaled.h_advance(id);
        prev = Some(id);
    }
    width
}

/// Shortens `text` with an ellipsis until it fits `max` pixels.
fn fit(font: &CjkFont, px: f32, text: &str, max: f32) -> String {
    if text_width(font, px, text) <= max {
        return text.to_owned();
    }
    let mut chars: Vec<char> = text.chars().collect();
    while !chars.is_empty() {
        chars.pop();
        let candidate: String = chars.iter().collect::<String>() + "…";
        if text_width(font, px, &candidate) <= max {
            return candidate;
        }
    }
    String::new()
}

/// A rasterised overlay in YUV 4:2:0 with alpha, placed at an even position.
#[derive(Debug, Clone)]
pub(crate) struct OverlayImage {
    x: usize,
    y: usize,
    w: usize,
    h: usize,
    luma: Vec<u8>,
    alpha: Vec<u8>,
    cb: Vec<u8>,
    cr: Vec<u8>,
    chroma_alpha: Vec<u8>,
}

fn rgb_to_yuv(r: f32, g: f32, b: f32) -> (f32, f32, f32) {
    // BT.601 limited range, the matrix x264 assumes for untagged SD/HD input from swscale.
    let y = 16.0 + 65.481 * r + 128.553 * g + 24.966 * b;
    let u = 128.0 - 37.797 * r - 74.203 * g + 112.0 * b;
    let v = 128.0 + 112.0 * r - 93.786 * g - 18.214 * b;
    (y, u, v)
}

impl OverlayImage {
    fn from_canvas(canvas: &Canvas, x: usize, y: usize) -> OverlayImage {
        let (w, h) = (canvas.w & !1, canvas.h & !1);
        let mut luma = vec![0u8; w * h];
        let mut alpha = vec![0u8; w * h];
        let (cw, ch) = (w / 2, h / 2);
        let mut cb = vec![0u8; cw * ch];
        let mut cr = vec![0u8; cw * ch];
        let mut chroma_alpha = vec![0u8; cw * ch];
        for row in 0..h {
            for col in 0..w {
                let p = canvas.px[row * canvas.w + col];
                let a = p[3];
                let (yy, _, _) = if a > 0.0 {
                    rgb_to_yuv(p[0] / a, p[1] / a, p[2] / a)
                } else {
                    (16.0, 128.0, 128.0)
                };
                luma[row * w + col] = yy.round().clamp(0.0, 255.0) as u8;
                alpha[row * w + col] = (a * 255.0).round() as u8;
            }
        }
        for row in 0..ch {
            for col in 0..cw {
                let mut sum = [0.0f32; 4];
                for (dy, dx) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
                    let p = canvas.px[(row * 2 + dy) * canvas.w + col * 2 + dx];
                    for c in 0..4 {
                        sum[c] += p[c] / 4.0;
                    }
                }
                let a = sum[3];
                let (_, u, v) = if a > 0.0 {
                    rgb_to_yuv(sum[0] / a, sum[1] / a, sum[2] / a)
                } else {
                    (16.0, 128.0, 128.0)
                };
                cb[row * cw + col] = u.round().clamp(0.0, 255.0) as u8;
                cr[row * cw + col] = v.round().clamp(0.0, 255.0) as u8;
                chroma_alpha[row * cw + col] = (a * 255.0).round() as u8;
            }
        }
        OverlayImage {
            x: x & !1,
            y: y & !1,
            w,
            h,
            luma,
            alpha,
            cb,
            cr,
            chroma_alpha,
        }
    }

    /// Alpha-blends the image into a YUV420P frame.
    pub(crate) fn blend(&self, frame: &mut ffmpeg_next::frame::Video) {
        let (fw, fh) = (frame.width() as usize, frame.height() as usize);
        if self.x >= fw || self.y >= fh {
            return;
        }
        let w = self.w.min(fw - self.x);
        let h = self.h.min(fh - self.y);
        blend_plane(
            frame,
            0,
            self.x,
            self.y,
            w,
            h,
            &self.luma,
            &self.alpha,
            self.w,
        );
        blend_plane(
            frame,
            1,
            self.x / 2,
            self.y / 2,
            w / 2,
            h / 2,
            &self.cb,
            &self.chroma_alpha,
            self.w / 2,
        );
        blend_plane(
            frame,
            2,
            self.x / 2,
            self.y / 2,
            w / 2,
            h / 2,
            &self.cr,
            &self.chroma_alpha,
            self.w / 2,
        );
    }
}

#[allow(clippy::too_many_arguments)]
fn blend_plane(
    frame: &mut ffmpeg_next::frame::Video,
    plane: usize,
    x: usize,
    y: usize,
    w: usize,
    h: usize,
    src: &[u8],
    alpha: &[u8],
    src_stride: usize,
) {
    let stride = frame.stride(plane);
    let data = frame.data_mut(plane);
    for row in 0..h {
        let dst = &mut data[(y + row) * stride + x..(y + row) * stride + x + w];
        let s = &src[row * src_stride..row * src_stride + w];
        let a = &alpha[row * src_stride..row * src_stride + w];
        for ((d, &s), &a) in dst.iter_mut().zip(s).zip(a) {
            if a != 0 {
                let (dv, sv, av) = (*d as u32, s as u32, a as u32);
                *d = ((sv * av + dv * (255 - av) + 127) / 255) as u8;
            }
        }
    }
}

/// Rasterises `overlay` for a `width`×`height` frame.
pub(crate) fn render(overlay: &Overlay, fonts: &Fonts, width: u32, height: u32) -> OverlayImage {
    let t = template();
    let (fw, fh) = (width as f32, height as f32);
    let pad = t.card.padding * fh;
    let gap = t.card.line_gap * fh;
    let accent = (t.card.accent_width * fh).max(2.0);
    let max_text = t.card.max_width * fw - 2.0 * pad - accent;
    let font_of = |style: &TextStyle| {
        if style.bold {
            fonts.bold.clone()
        } else {
            fonts.regular.clone()
        }
    };

    // Lines: (font, px size, text, colour).
    let mut lines: Vec<(Arc<CjkFont>, f32, String, [u8; 4])> = Vec::new();
    match overlay {
        Overlay::ProductCard {
            name,
            price_fen,
            selling_point,
        } => {
            let f = font_of(&t.name);
            lines.push((
                f.clone(),
                t.name.size * fh,
                fit(&f, t.name.size * fh, name, max_text),
                t.name.color,
            ));
            let f = font_of(&t.price);
            let price = format!("{}{}", t.price.prefix, format_price(*price_fen));
            lines.push((
                f.clone(),
                t.price.size * fh,
                fit(&f, t.price.size * fh, &price, max_text),
                t.price.color,
            ));
            if !selling_point.trim().is_empty() {
                let f = font_of(&t.selling_point);
                let size = t.selling_point.size * fh;
                lines.push((
                    f.clone(),
                    size,
                    fit(&f, size, selling_point, max_text),
                    t.selling_point.color,
                ));
            }
        }
        Overlay::Title { text } => {
            let f = font_of(&t.title);
            lines.push((
                f.clone(),
                t.title.size * fh,
                fit(&f, t.title.size * fh, text, max_text),
                t.title.color,
            ));
        }
    }
    let content_w = lines
        .iter()
        .map(|(f, px, s, _)| text_width(f, *px, s))
        .fold(0.0f32, f32::max);
    let line_heights: Vec<f32> = lines
        .iter()
        .map(|(f, px, _, _)| f.as_scaled(PxScale::from(*px)).height())
        .collect();
    let content_h: f32 =
        line_heights.iter().sum::<f32>() + gap * (lines.len().saturating_sub(1)) as f32;
    let card_w = (content_w + 2.0 * pad + accent).ceil();
    let card_h = (content_h + 2.0 * pad).ceil();
    let mut canvas = Canvas::new(card_w as usize + 2, card_h as usize + 2);
    let r = t.card.radius * fh;
    canvas.rounded_rect(0.0, 0.0, card_w, card_h, r, t.card.background);
    canvas.rounded_rect(0.0, 0.0, accent + r, card_h, r, t.card.accent);
    canvas.rounded_rect(accent, 0.0, r, card_h, 0.0, t.card.background);
    let mut top = pad;
    for ((font, px, text, color), lh) in lines.iter().zip(&line_heights) {
        let ascent = font.as_scaled(PxScale::from(*px)).ascent();
        canvas.text(font, *px, accent + pad, top + ascent, text, *color);
        top += lh + gap;
    }
    let x = (t.card.left * fw) as usize;
    let y = (fh - t.card.bottom * fh - card_h).max(0.0) as usize;
    OverlayImage::from_canvas(&canvas, x, y)
}

/// Draws the "camera lost" slate as a full YUV420P frame.
pub(crate) fn slate(fonts: Option<&Fonts>, width: u32, height: u32) -> ffmpeg_next::frame::Video {
    let t = template();
    let mut frame = solid(t.slate.background, width, height);
    if let Some(fonts) = fonts {
        let (fw, fh) = (width as f32, height as f32);
        let size = t.slate.size * fh;
        let sub = t.slate.sub_size * fh;
        let main_w = text_width(&fonts.bold, size, &t.slate.text);
        let sub_w = text_width(&fonts.regular, sub, &t.slate.sub_text);
        let w = main_w.max(sub_w).min(fw);
        let mut canvas = Canvas::new(w.ceil() as usize + 2, (size * 1.5 + sub * 1.6) as usize + 2);
        canvas.text(
            &fonts.bold,
            size,
            (w - main_w) / 2.0,
            size,
            &t.slate.text,
            t.slate.color,
        );
        canvas.text(
            &fonts.regular,
            sub,
            (w - sub_w) / 2.0,
            size * 1.5 + sub,
            &t.slate.sub_text,
            t.slate.color,
        );
        let x = ((fw - w) / 2.0).max(0.0) as usize;
        let y = ((fh - canvas.h as f32) / 2.0).max(0.0) as usize;
        OverlayImage::from_canvas(&canvas, x, y).blend(&mut frame);
    }
    frame
}

/// A `width`×`height` YUV420P frame of one colour.
pub(crate) fn solid(rgb: [u8; 3], width: u32, height: u32) -> ffmpeg_next::frame::Video {
    let mut frame =
        ffmpeg_next::frame::Video::new(ffmpeg_next::format::Pixel::YUV420P, width, height);
    let [r, g, b] = rgb;
    let (y, u, v) = rgb_to_yuv(r as f32 / 255.0, g as f32 / 255.0, b as f32 / 255.0);
    for (plane, value) in [(0usize, y), (1, u), (2, v)] {
        frame
            .data_mut(plane)
            .fill(value.round().clamp(0.0, 255.0) as u8);
    }
    frame
}

/// A scene's text layer: one line in white on a translucent dark band, the text sized to
/// the band's height and shortened with an ellipsis when it does not fit. RGBA.
pub(crate) fn text_frame(
    fonts: &Fonts,
    text: &str,
    width: u32,
    height: u32,
) -> ffmpeg_next::frame::Video {
    let (w, h) = (width as usize, height as usize);
    let mut canvas = Canvas::new(w, h);
    canvas.rounded_rect(
        0.0,
        0.0,
        w as f32,
        h as f32,
        h as f32 * 0.2,
        [20, 20, 20, 190],
    );
    let px = h as f32 * 0.62;
    let pad = h as f32 * 0.3;
    let line = fit(&fonts.bold, px, text, w as f32 - 2.0 * pad);
    let ascent = fonts.bold.as_scaled(PxScale::from(px)).ascent();
    let descent = fonts.bold.as_scaled(PxScale::from(px)).descent();
    let baseline = (h as f32 + ascent + descent) / 2.0;
    let x = ((w as f32 - text_width(&fonts.bold, px, &line)) / 2.0).max(pad);
    canvas.text(&fonts.bold, px, x, baseline, &line, [255, 255, 255, 255]);
    let mut frame = ffmpeg_next::frame::Video::new(ffmpeg_next::format::Pixel::RGBA, width, height);
    let stride = frame.stride(0);
    let data = frame.data_mut(0);
    for row in 0..h {
        for col in 0..w {
            let p = canvas.px[row * w + col];
            let a = p[3];
            let un = |c: f32| {
                if a > 0.0 {
                    (c / a * 255.0).round().clamp(0.0, 255.0) as u8
                } else {
                    0
                }
            };
            let at = row * stride + col * 4;
            data[at..at + 4].copy_from_slice(&[
                un(p[0]),
                un(p[1]),
                un(p[2]),
                (a * 255.0).round() as u8,
            ]);
        }
    }
    frame
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_parses() {
        let t = template();
        assert!(t.card.max_width > 0.0 && t.card.max_width <= 1.0);
    }

    #[test]
    fn prices_format_in_yuan() {
        for (fen, text) in [
            (1990, "19.90"),
            (2000, "20"),
            (5, "0.05"),
            (123456, "1234.56"),
        ] {
            assert_eq!(format_price(fen), text);
        }
    }

    fn frame_of(y: u8) -> ffmpeg_next::frame::Video {
        let mut frame =
            ffmpeg_next::frame::Video::new(ffmpeg_next::format::Pixel::YUV420P, 640, 360);
        frame.data_mut(0).fill(y);
        frame.data_mut(1).fill(128);
        frame.data_mut(2).fill(128);
        frame
    }

    #[test]
    fn product_card_draws_cjk_text_in_lower_third() {
        let fonts = Fonts::load(None).expect("fonts-noto-cjk is installed on the build machines");
        let overlay = Overlay::ProductCard {
            name: "赣南脐橙 5斤装".into(),
            price_fen: 3990,
            selling_point: "现摘现发 产地直供".into(),
        };
        let image = render(&overlay, &fonts, 640, 360);
        assert!(
            image.y > 180,
            "card sits in the lower half, y = {}",
            image.y
        );
        let mut frame = frame_of(235);
        image.blend(&mut frame);
        // The dark card darkens the white frame; the glyphs bring bright pixels back.
        let stride = frame.stride(0);
        let row = image.y + image.h / 2;
        let luma = &frame.data(0)[row * stride + image.x..row * stride + image.x + image.w];
        assert!(luma.iter().any(|&l| l < 100), "card background is dark");
        let untouched = &frame.data(0)[..stride * 10];
        assert!(
            untouched.iter().take(640).all(|&l| l == 235),
            "top of frame untouched"
        );
        // A text change gives a different image of the same kind.
        let other = render(
            &Overlay::ProductCard {
                name: "五常大米".into(),
                price_fen: 5990,
                selling_point: String::new(),
            },
            &fonts,
            640,
            360,
        );
        assert_ne!(other.luma, image.luma);
    }

    #[test]
    fn long_names_are_shortened_with_ellipsis() {
        let fonts = Fonts::load(None).expect("fonts-noto-cjk is installed");
        let long = "超长的商品名称".repeat(20);
        let text = fit(&fonts.bold, 30.0, &long, 300.0);
        assert!(text.ends_with('…'));
        assert!(text_width(&fonts.bold, 30.0, &text) <= 300.0);
    }

    #[test]
    fn slate_is_dark_with_light_text() {
        let fonts = Fonts::load(None).expect("fonts-noto-cjk is installed");
        let frame = slate(Some(&fonts), 640, 360);
        let luma = frame.data(0);
        let bright = luma.iter().filter(|&&l| l > 200).count();
        assert!(luma[0] < 50);
        assert!(bright > 500, "slate text drawn ({bright} bright pixels)");
    }
}
